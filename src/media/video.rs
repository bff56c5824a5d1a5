//! Videos: container, codecs, resolution and duration read from the file itself with
//! Mozilla's `mp4parse` (pure Rust, nothing to install), while the upload streams to the blob
//! store; the automatic video-format and video-quality checks apply the policy in config.
//!
//! Why mp4parse and not ffprobe: the policy accepts MP4 only, and for MP4 the facts the checks
//! need (the sample entries' codecs and sizes, the tracks' durations) are exactly what mp4parse
//! reads, from the stream as it arrives, without a second read of the file and without a
//! system tool the server would depend on. Anything it cannot read is not an MP4 the policy
//! could accept (an AVI, a truncated file), and is refused as such.
use std::io::Read;

use actix_web::web::Bytes;
use mp4parse::{CodecType, SampleEntry, TrackType};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::config::VideoPolicy;

/// What the file says of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VideoFacts {
    /// Always `mp4` (the only container read).
    #[schema(example = "mp4")]
    pub container: String,
    /// The video codec (`h264`, `mpeg4`, `av1`, `vp9`, `vp8`, `h263`, `unknown`).
    #[schema(example = "h264")]
    pub video_codec: String,
    /// The audio codec (`aac`, `mp3`, `opus`, `flac`, `alac`, `pcm`, `unknown`); null without
    /// an audio track.
    #[schema(required = true, example = "aac")]
    pub audio_codec: Option<String>,
    /// Width in pixels.
    #[schema(example = 1280)]
    pub width: u32,
    /// Height in pixels.
    #[schema(example = 720)]
    pub height: u32,
    /// The longest track's duration, in milliseconds.
    #[schema(example = 2_700_000)]
    pub duration_ms: u64,
    /// The average bitrate (file size over duration), in kbit/s.
    #[schema(example = 1500)]
    pub bitrate_kbps: u64,
}

/// The result of one automatic check: passed, or the rules that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckResult {
    /// Every rule of the check passed.
    pub passed: bool,
    /// What failed, one sentence a rule.
    pub failures: Vec<String>,
}

impl CheckResult {
    fn of(failures: Vec<String>) -> Self {
        Self {
            passed: failures.is_empty(),
            failures,
        }
    }
}

fn codec_name(codec: CodecType) -> &'static str {
    match codec {
        CodecType::H264 => "h264",
        CodecType::MP4V => "mpeg4",
        CodecType::AV1 => "av1",
        CodecType::VP9 => "vp9",
        CodecType::VP8 => "vp8",
        CodecType::H263 => "h263",
        CodecType::AAC => "aac",
        CodecType::MP3 => "mp3",
        CodecType::Opus => "opus",
        CodecType::FLAC => "flac",
        CodecType::ALAC => "alac",
        CodecType::LPCM => "pcm",
        _ => "unknown",
    }
}

/// Reads the facts of an MP4 from `reader` (to its end); `size` is the file's size. `Err`
/// says why the file is not a readable MP4 video.
pub fn probe(reader: &mut impl Read, size: u64) -> Result<VideoFacts, String> {
    let context = mp4parse::read_mp4(reader).map_err(|e| match e {
        mp4parse::Error::MoovMissing => "the file is not an MP4 (no movie header found)".into(),
        mp4parse::Error::UnexpectedEOF => "the MP4 file is incomplete".into(),
        mp4parse::Error::Unsupported(what) => {
            format!("the MP4 file uses what cannot be read: {what}")
        }
        _ => "the file is not an MP4 this server can read".to_string(),
    })?;
    let (mut video, mut audio, mut duration_ms) = (None, None, 0u64);
    for track in context.tracks.iter() {
        if let (Some(d), Some(scale)) = (track.duration, track.timescale)
            && scale.0 > 0
        {
            duration_ms = duration_ms.max(d.0.saturating_mul(1000) / scale.0);
        }
        let Some(entry) = track.stsd.as_ref().and_then(|s| s.descriptions.first()) else {
            continue;
        };
        match (&track.track_type, entry) {
            (TrackType::Video, SampleEntry::Video(v)) if video.is_none() => {
                video = Some((codec_name(v.codec_type), v.width, v.height));
            }
            (TrackType::Audio, SampleEntry::Audio(a)) if audio.is_none() => {
                audio = Some(codec_name(a.codec_type));
            }
            _ => {}
        }
    }
    let (codec, width, height) = video.ok_or("the MP4 file has no video track")?;
    let bitrate_kbps = size.saturating_mul(8).checked_div(duration_ms).unwrap_or(0);
    Ok(VideoFacts {
        container: "mp4".into(),
        video_codec: codec.into(),
        audio_codec: audio.map(str::to_owned),
        width: width.into(),
        height: height.into(),
        duration_ms,
        bitrate_kbps,
    })
}

/// The video-format check: container and codecs.
pub fn check_format(policy: &VideoPolicy, facts: &VideoFacts) -> CheckResult {
    let mut failures = Vec::new();
    if !policy.video_codecs.contains(&facts.video_codec) {
        failures.push(format!(
            "the video codec is {}; accepted: {}",
            facts.video_codec,
            policy.video_codecs.join(", ")
        ));
    }
    match &facts.audio_codec {
        None => failures.push("the video has no sound track".into()),
        Some(codec) if !policy.audio_codecs.contains(codec) => failures.push(format!(
            "the audio codec is {codec}; accepted: {}",
            policy.audio_codecs.join(", ")
        )),
        Some(_) => {}
    }
    CheckResult::of(failures)
}

/// The video-quality check: resolution, bitrate and duration.
pub fn check_quality(policy: &VideoPolicy, facts: &VideoFacts) -> CheckResult {
    let mut failures = Vec::new();
    if facts.width < policy.min_width || facts.height < policy.min_height {
        failures.push(format!(
            "the resolution is {}×{}; at least {}×{} is required",
            facts.width, facts.height, policy.min_width, policy.min_height
        ));
    }
    if facts.bitrate_kbps < u64::from(policy.min_bitrate_kbps) {
        failures.push(format!(
            "the bitrate is {} kbit/s; at least {} kbit/s is required",
            facts.bitrate_kbps, policy.min_bitrate_kbps
        ));
    }
    if facts.duration_ms == 0 {
        failures.push("the video has no duration".into());
    }
    CheckResult::of(failures)
}

/// A probe reading a stream as it is fed, on a blocking thread: memory stays at a few chunks
/// whatever the file's size.
pub struct StreamProbe {
    feed: mpsc::Sender<Bytes>,
    done: tokio::task::JoinHandle<Result<VideoFacts, String>>,
    size: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Chunks queued for the probe before the upload waits for it.
const QUEUED_CHUNKS: usize = 4;

impl StreamProbe {
    pub fn start() -> Self {
        let (feed, rx) = mpsc::channel(QUEUED_CHUNKS);
        let size = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = size.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut reader = ChannelReader {
                rx,
                chunk: Bytes::new(),
            };
            // A probe that stops early (the file is refused) drops the reader with the
            // channel, so the upload's later chunks are not waited for: their sends fail.
            let result = probe(&mut reader, 0);
            drop(reader);
            result.map(|mut facts| {
                let size = counted.load(std::sync::atomic::Ordering::Relaxed);
                facts.bitrate_kbps = size.saturating_mul(8) / facts.duration_ms.max(1);
                facts
            })
        });
        Self { feed, done, size }
    }

    /// Hands a chunk to the probe (waiting while it is behind).
    pub fn sender(&self) -> mpsc::Sender<Bytes> {
        self.feed.clone()
    }

    /// The facts, once the whole file (of `size` bytes) has been fed.
    pub async fn finish(self, size: u64) -> Result<VideoFacts, String> {
        self.size.store(size, std::sync::atomic::Ordering::Relaxed);
        drop(self.feed);
        self.done
            .await
            .unwrap_or_else(|_| Err("the file could not be probed".into()))
    }
}

/// `Read` over chunks arriving on a channel; the end of the channel is the end of the file.
struct ChannelReader {
    rx: mpsc::Receiver<Bytes>,
    chunk: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.chunk = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> VideoFacts {
        VideoFacts {
            container: "mp4".into(),
            video_codec: "h264".into(),
            audio_codec: Some("aac".into()),
            width: 1280,
            height: 720,
            duration_ms: 1000,
            bitrate_kbps: 800,
        }
    }

    /// Codecs carry ffprobe's names (its `codec_name`; `pcm` for its `pcm_*` family), so a
    /// policy written with those names means the same here, and a refusal names the codec the
    /// file really holds.
    #[test]
    fn codecs_are_named_as_ffprobe_names_them() {
        let names = [
            (CodecType::H264, "h264"),
            (CodecType::MP4V, "mpeg4"),
            (CodecType::AV1, "av1"),
            (CodecType::VP9, "vp9"),
            (CodecType::VP8, "vp8"),
            (CodecType::H263, "h263"),
            (CodecType::AAC, "aac"),
            (CodecType::MP3, "mp3"),
            (CodecType::Opus, "opus"),
            (CodecType::FLAC, "flac"),
            (CodecType::ALAC, "alac"),
            (CodecType::LPCM, "pcm"),
            (CodecType::EncryptedVideo, "unknown"),
        ];
        for (codec, name) in names {
            assert_eq!(codec_name(codec), name, "{codec:?}");
        }
    }

    #[test]
    fn the_default_policy_takes_720p_h264_aac_at_the_bitrate_floor() {
        let policy = VideoPolicy::default();
        assert!(check_format(&policy, &facts()).passed);
        assert!(check_quality(&policy, &facts()).passed);
    }

    #[test]
    fn each_rule_of_the_policy_fails_on_its_own() {
        let policy = VideoPolicy::default();
        for (change, quality) in [
            (
                Box::new(|f: &mut VideoFacts| f.width = 1279) as Box<dyn Fn(&mut VideoFacts)>,
                true,
            ),
            (Box::new(|f: &mut VideoFacts| f.height = 719), true),
            (Box::new(|f: &mut VideoFacts| f.bitrate_kbps = 799), true),
            (Box::new(|f: &mut VideoFacts| f.duration_ms = 0), true),
            (
                Box::new(|f: &mut VideoFacts| f.video_codec = "mpeg4".into()),
                false,
            ),
            (Box::new(|f: &mut VideoFacts| f.audio_codec = None), false),
            (
                Box::new(|f: &mut VideoFacts| f.audio_codec = Some("mp3".into())),
                false,
            ),
        ] {
            let mut f = facts();
            change(&mut f);
            let (format, quality_result) = (check_format(&policy, &f), check_quality(&policy, &f));
            let failed = if quality { &quality_result } else { &format };
            let passed = if quality { &format } else { &quality_result };
            assert!(
                !failed.passed && failed.failures.len() == 1,
                "{f:?}: {failed:?}"
            );
            assert!(passed.passed, "{f:?}: the other check is not affected");
        }
    }

    #[test]
    fn what_is_not_an_mp4_is_named() {
        let mut avi = &b"RIFF\x10\x00\x00\x00AVI LIST"[..];
        assert!(probe(&mut avi, 16).is_err());
        let mut empty = &b""[..];
        assert!(probe(&mut empty, 0).is_err());
        // Each reason the reader gives is said in words of its own.
        let mut no_movie = &b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00"[..];
        assert_eq!(
            probe(&mut no_movie, 16).unwrap_err(),
            "the file is not an MP4 (no movie header found)"
        );
        // Cut inside its movie header (bytes 32 to 2,251 of the fixture).
        let mut cut = &MP4_720P[..2000];
        assert_eq!(
            probe(&mut cut, 0).unwrap_err(),
            "the MP4 file is incomplete"
        );
        let mut zero_sized = &b"\x00\x00\x00\x00ftypisom\x00\x00\x02\x00"[..];
        assert_eq!(
            probe(&mut zero_sized, 16).unwrap_err(),
            "the MP4 file uses what cannot be read: unknown sized box"
        );
    }

    const MP4_720P: &[u8] = include_bytes!("../../tests/api/fixtures/lecture-720p.mp4");
    const MP4_480P: &[u8] = include_bytes!("../../tests/api/fixtures/lecture-480p.mp4");
    const MP4V: &[u8] = include_bytes!("../../tests/api/fixtures/lecture-mpeg4.mp4");
    const AVI: &[u8] = include_bytes!("../../tests/api/fixtures/lecture-mpeg4.avi");

    #[test]
    fn the_facts_come_from_the_file() {
        let f = probe(&mut &MP4_720P[..], MP4_720P.len() as u64).unwrap();
        assert_eq!(
            (
                f.video_codec.as_str(),
                f.audio_codec.as_deref(),
                f.width,
                f.height
            ),
            ("h264", Some("aac"), 1280, 720)
        );
        assert!((990..=1100).contains(&f.duration_ms), "{f:?}");
        assert_eq!(f.bitrate_kbps, MP4_720P.len() as u64 * 8 / f.duration_ms);
        let f = probe(&mut &MP4_480P[..], 0).unwrap();
        assert_eq!((f.width, f.height), (854, 480));
        let f = probe(&mut &MP4V[..], 0).unwrap();
        assert_eq!(f.video_codec, "mpeg4");
        let e = probe(&mut &AVI[..], 0).unwrap_err();
        assert!(e.starts_with("the file is not an MP4"), "{e}");
        let cut = &MP4_720P[..MP4_720P.len() / 10];
        assert!(probe(&mut &cut[..], 0).is_err(), "a truncated file");
    }

    /// Of several tracks, the first video and the first audio track are the ones judged.
    #[test]
    fn the_first_video_and_audio_tracks_are_judged() {
        // 640×360 and 320×240 H.264, then AAC and MP3 (made with ffmpeg's lavfi sources).
        const TWO: &[u8] = include_bytes!("../../tests/api/fixtures/lecture-two-tracks.mp4");
        let f = probe(&mut &TWO[..], TWO.len() as u64).unwrap();
        assert_eq!(
            (f.width, f.height, f.audio_codec.as_deref()),
            (640, 360, Some("aac"))
        );
    }

    /// A track whose time scale is 0 (a crafted file) is refused as unreadable, not a crash.
    #[test]
    fn a_time_scale_of_zero_is_refused() {
        let mut file = MP4_720P.to_vec();
        let mut patched = 0;
        for at in 0..file.len() - 24 {
            // A version-0 media header: "mdhd", version and flags, two times, the time scale.
            if &file[at..at + 4] == b"mdhd" && file[at + 4] == 0 {
                file[at + 16..at + 20].copy_from_slice(&[0; 4]);
                patched += 1;
            }
        }
        assert_eq!(patched, 2, "the video and the audio track");
        assert_eq!(
            probe(&mut &file[..], file.len() as u64).unwrap_err(),
            "the file is not an MP4 this server can read"
        );
    }

    #[tokio::test]
    async fn a_streamed_probe_finds_what_a_whole_read_finds() {
        let whole = probe(&mut &MP4_720P[..], MP4_720P.len() as u64).unwrap();
        for size in [1000, 64 * 1024] {
            let streamed = StreamProbe::start();
            let feed = streamed.sender();
            for chunk in MP4_720P.chunks(size) {
                feed.send(Bytes::copy_from_slice(chunk)).await.unwrap();
            }
            drop(feed);
            let facts = streamed.finish(MP4_720P.len() as u64).await.unwrap();
            assert_eq!(facts, whole, "chunks of {size}");
        }
        // A probe that reads the whole of a file it refuses.
        let streamed = StreamProbe::start();
        let feed = streamed.sender();
        for chunk in AVI.chunks(1000) {
            feed.send(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        drop(feed);
        assert!(streamed.finish(AVI.len() as u64).await.is_err());
        // A probe that refuses a file at its first box lets go of the rest: the upload's
        // later chunks are refused at once instead of waiting for a reader.
        let mut file = b"\x00\x00\x00\x00ftypisom".to_vec();
        file.resize(1 << 20, 0);
        let streamed = StreamProbe::start();
        let feed = streamed.sender();
        let mut refused = 0;
        for chunk in file.chunks(1000) {
            refused += usize::from(feed.send(Bytes::copy_from_slice(chunk)).await.is_err());
        }
        drop(feed);
        assert!(refused > 0, "the channel was let go");
        assert!(streamed.finish(file.len() as u64).await.is_err());
    }
}
