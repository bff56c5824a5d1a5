//! The course catalogue (materials item 5): every published course with its hours, codes,
//! teachers and their profiles, as a city bureau files it. Read in keyset batches and written
//! as it is read, so memory stays flat however many courses there are.
use std::collections::HashMap;
use std::sync::Arc;

use actix_web::web::Bytes;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::dto::*;
use crate::auth::{Actor, Scope};
use crate::courses::dto::Hours;
use crate::courses::entity::{course, version};
use crate::courses::status::CourseStatus;
use crate::db::page::{self, Direction};
use crate::error::{AppError, AppResult, Code};
use crate::institutions::entity::institution;
use crate::reference::Catalogue;
use crate::teachers::dto::Qualification;
use crate::teachers::entity::teacher;

/// Courses read per query.
const BATCH: u64 = 500;
/// Chunks of the answer waiting for the client (backpressure beyond this).
const QUEUE: usize = 4;
/// A client that takes no chunk for this long is treated as gone, and the report stops.
const STALL: std::time::Duration = std::time::Duration::from_secs(120);

/// Hands a chunk to the client; false when it has gone or stalled.
async fn deliver(tx: &mpsc::Sender<Chunk>, chunk: Chunk) -> bool {
    tx.send_timeout(chunk, STALL).await.is_ok()
}

/// The columns of the CSV and XLSX forms, one row per course and teacher.
pub const COLUMNS: [&str; 16] = [
    "城市代码",
    "培训机构",
    "统一社会信用代码",
    "课程编号",
    "课程名称",
    "版本",
    "学时",
    "培训类别",
    "作业类别",
    "培训类型",
    "首次发布时间",
    "教师姓名",
    "职称",
    "资质证书",
    "专长",
    "教师编号",
];

/// The courses a caller's report covers: its scope, narrowed by the filters it names.
pub fn condition(actor: &Actor, q: &CatalogueQuery) -> AppResult<Condition> {
    let scope = actor.scope();
    if let (Scope::City(own), Some(city)) = (&scope, &q.city)
        && own != city.as_str()
    {
        return Err(AppError::new(
            Code::CityOutOfScope,
            "a city admin reports on its own city only",
        ));
    }
    if let (Scope::Institution(own), Some(id)) = (&scope, q.institution_id)
        && *own != id
    {
        return Err(AppError::new(
            Code::InstitutionOutOfScope,
            "an institution admin reports on its own institution only",
        ));
    }
    let mut cond = scope
        .condition(course::Column::CityCode, course::Column::InstitutionId)
        .unwrap_or_else(|| Condition::all().add(course::Column::Id.is_null()));
    if let Some(city) = &q.city {
        cond = cond.add(course::Column::CityCode.eq(city.as_str()));
    }
    if let Some(id) = q.institution_id {
        cond = cond.add(course::Column::InstitutionId.eq(id));
    }
    Ok(cond.add(course::Column::Status.eq(CourseStatus::Published)))
}

/// The next batch of entries after course `after`, in course id order.
async fn batch(
    db: &DatabaseConnection,
    catalogue: &Catalogue,
    cond: &Condition,
    after: Option<Uuid>,
) -> AppResult<Vec<CatalogueEntry>> {
    let courses = page::after(
        db,
        course::Entity::find().filter(cond.clone()),
        course::Column::Id,
        after,
        BATCH,
        Direction::Ascending,
    )
    .await?;
    if courses.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = courses.iter().map(|c| c.id).collect();
    let mut versions: HashMap<(Uuid, i32), version::Model> = version::Entity::find()
        .filter(version::Column::CourseId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| ((v.course_id, v.number), v))
        .collect();
    let institution_ids: Vec<Uuid> = courses.iter().map(|c| c.institution_id).collect();
    let institutions: HashMap<Uuid, institution::Model> = institution::Entity::find()
        .filter(institution::Column::Id.is_in(institution_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut published = Vec::with_capacity(courses.len());
    let mut teacher_ids = Vec::new();
    for c in courses {
        let number = c
            .published_version
            .ok_or_else(|| AppError::bug("a published course without a published version"))?;
        let v = versions
            .remove(&(c.id, number))
            .ok_or_else(|| AppError::bug("a course without its published version"))?;
        let ids: Vec<Uuid> = crate::courses::service::parse(&v.teacher_ids)?;
        teacher_ids.extend(ids.iter().copied());
        published.push((c, v, ids));
    }
    let teachers: HashMap<Uuid, teacher::Model> = teacher::Entity::find()
        .filter(teacher::Column::Id.is_in(teacher_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    published
        .into_iter()
        .map(|(c, v, ids)| {
            let inst = institutions
                .get(&c.institution_id)
                .ok_or_else(|| AppError::bug("a course of a missing institution"))?;
            let names = |codes: &str, name: &dyn Fn(&str) -> Option<String>| {
                crate::courses::service::parse::<Vec<String>>(codes).map(|codes| {
                    codes
                        .into_iter()
                        .map(|code| CodeName {
                            name: name(&code).unwrap_or_default(),
                            code,
                        })
                        .collect::<Vec<_>>()
                })
            };
            let teachers = ids
                .iter()
                .filter_map(|id| teachers.get(id))
                .map(|t| {
                    Ok(TeacherProfile {
                        id: t.id,
                        name: t.name.clone(),
                        title: t.title.clone(),
                        qualifications: crate::courses::service::parse(&t.qualifications)?,
                        specialities: crate::courses::service::parse(&t.specialities)?,
                    })
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(CatalogueEntry {
                course_id: c.id,
                city_code: c.city_code,
                institution_id: c.institution_id,
                institution_name: inst.name.clone(),
                credit_code: inst.credit_code.clone(),
                title: v.title,
                version_number: v.number,
                hours: Hours::from_tenths(v.hours_tenths as u32),
                training_categories: names(&v.training_categories, &|c| {
                    catalogue.training_category(c).map(|x| x.name.clone())
                })?,
                operation_types: names(&v.operation_types, &|c| {
                    catalogue.operation_type(c).map(|x| x.name.clone())
                })?,
                training_types: names(&v.training_types, &|c| {
                    catalogue.training_type(c).map(|x| x.name.clone())
                })?,
                published_at: c.published_at,
                teachers,
            })
        })
        .collect()
}

fn joined(codes: &[CodeName]) -> String {
    codes
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

fn qualification(q: &Qualification) -> String {
    let until = q
        .valid_until
        .map(|d| format!("，有效期至{}", d.get()))
        .unwrap_or_default();
    format!(
        "{}（{}，{}{until}）",
        q.name.as_str(),
        q.number.as_str(),
        q.issued_by.as_str()
    )
}

/// The rows of one entry in the tabular forms: one per teacher (one with the teacher columns
/// empty when the course lists none).
pub fn rows(e: &CatalogueEntry) -> Vec<[String; 16]> {
    let course = |t: Option<&TeacherProfile>| -> [String; 16] {
        [
            e.city_code.clone(),
            e.institution_name.clone(),
            e.credit_code.clone(),
            e.course_id.to_string(),
            e.title.clone(),
            e.version_number.to_string(),
            e.hours.to_string(),
            joined(&e.training_categories),
            joined(&e.operation_types),
            joined(&e.training_types),
            e.published_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            t.map(|t| t.name.clone()).unwrap_or_default(),
            t.map(|t| t.title.clone()).unwrap_or_default(),
            t.map(|t| {
                t.qualifications
                    .iter()
                    .map(qualification)
                    .collect::<Vec<_>>()
                    .join("；")
            })
            .unwrap_or_default(),
            t.map(|t| t.specialities.join("、")).unwrap_or_default(),
            t.map(|t| t.id.to_string()).unwrap_or_default(),
        ]
    };
    if e.teachers.is_empty() {
        vec![course(None)]
    } else {
        e.teachers.iter().map(|t| course(Some(t))).collect()
    }
}

/// A chunk of the answer, or the error that cut it short (the client sees the body end early).
pub type Chunk = Result<Bytes, std::io::Error>;

fn cut(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The catalogue, batch by batch.
struct Batches {
    db: DatabaseConnection,
    catalogue: Arc<Catalogue>,
    cond: Condition,
    after: Option<Uuid>,
    done: bool,
}

impl Batches {
    /// The next batch; `None` after the last.
    async fn next(&mut self) -> AppResult<Option<Vec<CatalogueEntry>>> {
        if self.done {
            return Ok(None);
        }
        let entries = batch(&self.db, &self.catalogue, &self.cond, self.after).await?;
        // A batch holds up to BATCH + 1 rows (the page reader's look-ahead row included).
        self.done = (entries.len() as u64) <= BATCH;
        self.after = entries.last().map(|e| e.course_id);
        Ok((!entries.is_empty()).then_some(entries))
    }
}

/// The catalogue as a stream of chunks in `format`.
pub fn stream(
    db: DatabaseConnection,
    catalogue: Arc<Catalogue>,
    cond: Condition,
    format: ReportFormat,
) -> mpsc::Receiver<Chunk> {
    let (tx, rx) = mpsc::channel::<Chunk>(QUEUE);
    let mut batches = Batches {
        db,
        catalogue,
        cond,
        after: None,
        done: false,
    };
    match format {
        ReportFormat::Json => {
            tokio::spawn(async move {
                let mut first = true;
                loop {
                    let entries = match batches.next().await {
                        Ok(Some(entries)) => entries,
                        Ok(None) => break,
                        Err(e) => {
                            deliver(&tx, Err(cut(e))).await;
                            return;
                        }
                    };
                    let mut buf = Vec::with_capacity(64 * 1024);
                    for e in &entries {
                        buf.push(if first { b'[' } else { b',' });
                        first = false;
                        if let Err(e) = serde_json::to_writer(&mut buf, e) {
                            deliver(&tx, Err(cut(e))).await;
                            return;
                        }
                    }
                    if !deliver(&tx, Ok(Bytes::from(buf))).await {
                        return;
                    }
                }
                let end: &'static [u8] = if first { b"[]" } else { b"]" };
                deliver(&tx, Ok(Bytes::from_static(end))).await;
            });
        }
        ReportFormat::Csv => {
            tokio::spawn(async move {
                let mut head = b"\xEF\xBB\xBF".to_vec();
                let mut w = csv::Writer::from_writer(&mut head);
                let _ = w.write_record(COLUMNS);
                drop(w);
                if !deliver(&tx, Ok(Bytes::from(head))).await {
                    return;
                }
                loop {
                    let entries = match batches.next().await {
                        Ok(Some(entries)) => entries,
                        Ok(None) => return,
                        Err(e) => {
                            deliver(&tx, Err(cut(e))).await;
                            return;
                        }
                    };
                    let mut w = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
                    for e in &entries {
                        for row in rows(e) {
                            if let Err(e) = w.write_record(&row) {
                                deliver(&tx, Err(cut(e))).await;
                                return;
                            }
                        }
                    }
                    let chunk = w.into_inner().map_err(cut).map(Bytes::from);
                    if !deliver(&tx, chunk).await {
                        return;
                    }
                }
            });
        }
        ReportFormat::Xlsx => {
            // Err: the read failed, so the writer stops without finishing the workbook.
            let (rows_tx, rows_rx) = mpsc::channel::<Result<Vec<CatalogueEntry>, ()>>(2);
            let out = tx.clone();
            let runtime = tokio::runtime::Handle::current();
            let writer = tokio::task::spawn_blocking(move || workbook(rows_rx, out, runtime));
            tokio::spawn(async move {
                let read = loop {
                    match batches.next().await {
                        Ok(Some(_)) if tx.is_closed() => break Ok(()),
                        Ok(Some(entries)) => {
                            if rows_tx.send(Ok(entries)).await.is_err() {
                                break Ok(());
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => {
                            let _ = rows_tx.send(Err(())).await;
                            break Err(cut(e));
                        }
                    }
                };
                drop(rows_tx);
                // The writer finishes the workbook and sends it, unless the read failed.
                let written = writer.await.map_err(cut).and_then(|w| w);
                if let Err(e) = read.and(written) {
                    deliver(&tx, Err(e)).await;
                }
            });
        }
    }
    rx
}

/// Sends what is written to it to the answer in chunks of 64 KiB.
struct ChunkWriter {
    buf: Vec<u8>,
    out: mpsc::Sender<Chunk>,
    runtime: tokio::runtime::Handle,
}

impl ChunkWriter {
    const SIZE: usize = 64 * 1024;

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(Self::SIZE),
        ));
        if self.runtime.block_on(deliver(&self.out, Ok(chunk))) {
            Ok(())
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the client left or stopped reading",
            ))
        }
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::SIZE {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Writes the entries that arrive into a constant-memory worksheet (rows go to a temporary
/// file as they are written), then the workbook to the answer.
fn workbook(
    mut entries: mpsc::Receiver<Result<Vec<CatalogueEntry>, ()>>,
    out: mpsc::Sender<Chunk>,
    runtime: tokio::runtime::Handle,
) -> Result<(), std::io::Error> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet_with_constant_memory().map_err(cut)?;
    sheet.set_name("课程目录").map_err(cut)?;
    for (col, name) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *name, &bold)
            .map_err(cut)?;
    }
    let mut row = 1u32;
    while let Some(batch) = entries.blocking_recv() {
        let Ok(batch) = batch else {
            return Err(cut("the catalogue could not be read"));
        };
        for e in &batch {
            for cells in rows(e) {
                for (col, cell) in cells.iter().enumerate() {
                    sheet.write_string(row, col as u16, cell).map_err(cut)?;
                }
                row += 1;
            }
        }
    }
    let mut w = ChunkWriter {
        buf: Vec::with_capacity(ChunkWriter::SIZE),
        out,
        runtime,
    };
    book.save_to_writer(&mut w).map_err(cut)?;
    std::io::Write::flush(&mut w)
}
