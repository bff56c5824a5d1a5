//! An S3-compatible server for tests, in process: s3s-fs (a pure-Rust S3 implementation over a
//! directory) behind hyper on a free port, with one bucket and one access key.
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use safetrain::config::{BlobBackend, S3Settings, Settings};
use tempfile::TempDir;

pub const BUCKET: &str = "safetrain-test";
const KEY_ID: &str = "test-access-key";
const SECRET: &str = "test-secret-key";

pub struct S3Server {
    pub endpoint: String,
    _root: TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl S3Server {
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("s3 root");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(KEY_ID, SECRET));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Self {
            endpoint,
            _root: root,
            task,
        }
    }

    /// Points `settings` at this server.
    pub fn configure(&self, settings: &mut Settings) {
        settings.blobs.backend = BlobBackend::S3;
        settings.blobs.s3 = Some(S3Settings {
            endpoint: self.endpoint.clone(),
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            access_key_id: KEY_ID.into(),
            secret_access_key: SECRET.to_owned().into(),
            allow_http: true,
        });
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
