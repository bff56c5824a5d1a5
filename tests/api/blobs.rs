//! The blob store, on a local directory and on an S3-compatible server the test starts.
use actix_web::web::Bytes;
use futures_util::StreamExt;
use safetrain::blobs::{Blobs, PutError};
use safetrain::config::Settings;
use sha2::{Digest, Sha256};

use crate::helpers::s3::S3Server;

const CHUNK: usize = 64 * 1024;

/// `n` chunks of a pattern, as an upload streams in (never one buffer of the whole).
fn upload(n: usize) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    futures_util::stream::iter((0..n).map(|i| Ok(Bytes::from(vec![(i % 251) as u8; CHUNK]))))
}

fn expected_sha(n: usize) -> String {
    let mut sha = Sha256::new();
    for i in 0..n {
        sha.update(vec![(i % 251) as u8; CHUNK]);
    }
    hex::encode(sha.finalize())
}

async fn read_sha(
    blobs: &Blobs,
    key: &str,
    range: Option<std::ops::Range<u64>>,
) -> (String, u64, u64) {
    let read = blobs.get(key, range).await.expect("get");
    let size = read.size;
    let (mut sha, mut n) = (Sha256::new(), 0u64);
    let mut body = read.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("chunk");
        n += chunk.len() as u64;
        sha.update(&chunk);
    }
    (hex::encode(sha.finalize()), n, size)
}

async fn exercise(blobs: &Blobs, name: &str) {
    // 12 MiB: more than two multipart parts of 5 MiB.
    let parts = 12 * 1024 * 1024 / CHUNK;
    let stored = blobs
        .put("courseware/a.mp4", upload(parts), 1 << 30)
        .await
        .expect("put");
    assert_eq!(stored.size, (parts * CHUNK) as u64, "{name}");
    assert_eq!(
        stored.sha256,
        expected_sha(parts),
        "{name}: hashed on the way"
    );
    let (sha, n, size) = read_sha(blobs, "courseware/a.mp4", None).await;
    assert_eq!(
        (sha, n, size),
        (stored.sha256.clone(), stored.size, stored.size),
        "{name}: read back whole"
    );
    let read = blobs
        .get("courseware/a.mp4", Some(CHUNK as u64..CHUNK as u64 + 10))
        .await
        .unwrap();
    assert_eq!(read.range, CHUNK as u64..CHUNK as u64 + 10);
    let bytes: Vec<u8> = read.body.map(|c| c.unwrap().to_vec()).concat().await;
    assert_eq!(bytes, vec![1u8; 10], "{name}: a byte range");
    let too_big = blobs
        .put("courseware/b.mp4", upload(40), 20 * CHUNK as u64)
        .await;
    assert!(matches!(too_big, Err(PutError::TooLarge { .. })), "{name}");
    assert!(
        blobs.get("courseware/b.mp4", None).await.is_err(),
        "{name}: an aborted upload leaves nothing"
    );
    blobs.delete("courseware/a.mp4").await.unwrap();
    assert!(blobs.get("courseware/a.mp4", None).await.is_err());
}

#[tokio::test]
async fn blobs_stream_in_with_their_hash_on_a_local_directory() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let blobs = Blobs::from_settings(&settings).unwrap();
    exercise(&blobs, "local").await;
    assert!(
        dir.path().join("blobs").is_dir(),
        "under the data dir by default"
    );
}

#[tokio::test]
async fn blobs_stream_in_with_their_hash_on_an_s3_compatible_store() {
    let server = S3Server::start().await;
    let mut settings = Settings::default();
    server.configure(&mut settings);
    let blobs = Blobs::from_settings(&settings).unwrap();
    exercise(&blobs, "s3").await;
}
