//! One-page PDF documents with Chinese text and a QR code (the certificate of training hours).
//!
//! The text is set in a CJK font from the system's packages, embedded as a subset of the
//! glyphs the page uses (a few kilobytes instead of the font's megabytes). printpdf writes the
//! file; allsorts, the font engine printpdf itself uses, makes the subset first (printpdf
//! subsets only with its HTML-layout feature, a far heavier build). The QR code is drawn as
//! filled squares, from the `qrcode` crate's modules.
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use allsorts::binary::read::ReadScope;
use allsorts::font::MatchingPresentation;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use printpdf::{
    Color, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, Rgb, TextItem,
};

use crate::config::FontFile;

/// A font read from disk once, kept for every document after.
#[derive(Debug)]
pub struct LoadedFont {
    pub path: PathBuf,
    index: usize,
    bytes: Vec<u8>,
}

/// The configured fonts: the first present file is read at first use.
#[derive(Debug)]
pub struct Fonts {
    candidates: Vec<FontFile>,
    loaded: tokio::sync::OnceCell<Arc<LoadedFont>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no CJK font to set the PDF in is installed (looked for {0})")]
    NoFont(String),
    #[error("the font {path} cannot be used: {problem}")]
    BadFont { path: String, problem: String },
    #[error("cannot draw the QR code: {0}")]
    Qr(String),
}

impl Fonts {
    pub fn new(candidates: Vec<FontFile>) -> Self {
        Self {
            candidates,
            loaded: tokio::sync::OnceCell::new(),
        }
    }

    /// The font, read from the first configured file present. A missing font is looked for
    /// again on the next call (so installing one needs no restart); a found one is kept.
    pub async fn get(&self) -> Result<Arc<LoadedFont>, PdfError> {
        self.loaded
            .get_or_try_init(|| async {
                for c in &self.candidates {
                    match tokio::fs::read(&c.path).await {
                        Ok(bytes) => {
                            return Ok(Arc::new(LoadedFont {
                                path: c.path.clone(),
                                index: c.index,
                                bytes,
                            }));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => {
                            return Err(PdfError::BadFont {
                                path: c.path.display().to_string(),
                                problem: e.to_string(),
                            });
                        }
                    }
                }
                Err(PdfError::NoFont(
                    self.candidates
                        .iter()
                        .map(|c| c.path.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ))
            })
            .await
            .cloned()
    }

    /// Whether any configured font file exists (for the start-up warning).
    pub fn any_present(&self) -> bool {
        self.candidates.iter().any(|c| c.path.is_file())
    }
}

/// A line of text, its baseline's left end in millimetres from the page's lower left corner.
#[derive(Debug, Clone)]
pub struct Line {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

/// A QR code: its lower left corner and side in millimetres, and what it encodes.
#[derive(Debug, Clone)]
pub struct Qr {
    pub x: f32,
    pub y: f32,
    pub side: f32,
    pub data: String,
}

/// One page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The document's title (its metadata).
    pub title: String,
    pub width: f32,
    pub height: f32,
    pub lines: Vec<Line>,
    pub qr: Option<Qr>,
}

/// Renders `page` with `font`: CPU work, to be run off the async workers.
pub fn render(font: &LoadedFont, page: &Page) -> Result<Vec<u8>, PdfError> {
    let subset = subset_for(font, page.lines.iter().map(|l| l.text.as_str()))?;
    let bad = |problem: String| PdfError::BadFont {
        path: font.path.display().to_string(),
        problem,
    };
    let parsed = ParsedFont::from_bytes(&subset, 0, &mut Vec::new())
        .ok_or_else(|| bad("its subset does not parse".into()))?;
    let mut doc = PdfDocument::new(&page.title);
    let font_id = doc.add_font(&parsed);
    let mut ops = Vec::new();
    for line in &page.lines {
        ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font_id.clone()),
                size: Pt(line.size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(line.x), Mm(line.y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(line.text.clone())],
            },
            Op::EndTextSection,
        ]);
    }
    if let Some(qr) = &page.qr {
        ops.extend(qr_ops(qr)?);
    }
    let pdf = doc
        .with_pages(vec![PdfPage::new(Mm(page.width), Mm(page.height), ops)])
        .save(&PdfSaveOptions::default(), &mut Vec::new());
    Ok(pdf)
}

/// The font cut down to the glyphs of `texts` (and `.notdef`), as a standalone font whose
/// character map covers them. A character the font lacks shows as `.notdef`; it is logged.
fn subset_for<'a>(
    font: &LoadedFont,
    texts: impl Iterator<Item = &'a str>,
) -> Result<Vec<u8>, PdfError> {
    let bad = |problem: String| PdfError::BadFont {
        path: font.path.display().to_string(),
        problem,
    };
    let data = ReadScope::new(&font.bytes)
        .read::<FontData<'_>>()
        .map_err(|e| bad(e.to_string()))?;
    let provider = data
        .table_provider(font.index)
        .map_err(|e| bad(e.to_string()))?;
    let mut face = allsorts::Font::new(provider).map_err(|e| bad(e.to_string()))?;
    let chars: BTreeSet<char> = texts.flat_map(str::chars).collect();
    let mut glyphs = BTreeSet::new();
    let mut missing = 0;
    for ch in chars {
        let (glyph, _) = face.lookup_glyph_index(ch, MatchingPresentation::NotRequired, None);
        if glyph == 0 {
            missing += 1;
        } else {
            glyphs.insert(glyph);
        }
    }
    if missing > 0 {
        tracing::warn!(
            font = %font.path.display(),
            missing,
            "characters the font lacks are printed as blanks"
        );
    }
    // .notdef first, as a font must have it at glyph 0.
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();
    let provider = data
        .table_provider(font.index)
        .map_err(|e| bad(e.to_string()))?;
    subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| bad(e.to_string()))
}

/// The QR code's dark modules as black squares, with the four-module quiet zone around them
/// left white (the page is white).
fn qr_ops(qr: &Qr) -> Result<Vec<Op>, PdfError> {
    let code = qrcode::QrCode::with_error_correction_level(qr.data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| PdfError::Qr(e.to_string()))?;
    let width = code.width();
    let module = qr.side / (width + 8) as f32;
    let colors = code.to_colors();
    let mut ops = vec![Op::SetFillColor {
        col: Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)),
    }];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (col, row) = (i % width, i / width);
        let x = qr.x + (col + 4) as f32 * module;
        // Rows run down from the top; the page's y runs up.
        let y = qr.y + qr.side - (row + 5) as f32 * module;
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Fill),
                ..Rect::from_xywh(
                    Mm(x).into(),
                    Mm(y).into(),
                    Mm(module).into(),
                    Mm(module).into(),
                )
            },
        });
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font(path: &std::path::Path) -> FontFile {
        FontFile {
            path: path.to_owned(),
            index: 0,
        }
    }

    #[tokio::test]
    async fn the_first_font_file_present_is_used_and_an_unreadable_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let (missing, present) = (dir.path().join("missing.ttc"), dir.path().join("cjk.ttc"));
        std::fs::write(&present, b"font bytes").unwrap();

        let none = Fonts::new(vec![font(&missing)]);
        assert!(!none.any_present());
        assert!(
            matches!(none.get().await, Err(PdfError::NoFont(list)) if list.contains("missing.ttc"))
        );

        // A missing file is passed over; the next one present is read and kept.
        let fonts = Fonts::new(vec![font(&missing), font(&present)]);
        assert!(fonts.any_present());
        assert_eq!(fonts.get().await.unwrap().path, present);

        // A path that cannot be read (a directory) is a problem of its own, not passed over.
        let unreadable = Fonts::new(vec![font(dir.path()), font(&present)]);
        assert!(matches!(
            unreadable.get().await,
            Err(PdfError::BadFont { .. })
        ));
    }
}
