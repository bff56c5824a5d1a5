//! The one write path. A [`WriteTx`] lends its transaction to repositories only by shared
//! reference, so the only way to commit is [`WriteTx::commit`], which writes the change events
//! and the audit record with the data:
//!
//! ```no_run
//! # async fn f(tx: safetrain::context::WriteTx<'_>) -> safetrain::error::AppResult<()> {
//! use sea_orm::ConnectionTrait;
//! tx.conn().execute_unprepared("UPDATE …").await?; // repositories get the transaction
//! tx.commit(200, &"the answer").await // the one way to commit: with the audit record
//! # }
//! ```
//! ```compile_fail
//! # async fn f(tx: safetrain::context::WriteTx<'_>) {
//! // A borrowed transaction cannot be committed: the audit record would be missing.
//! tx.conn().commit().await.unwrap();
//! # }
//! ```
//! ```compile_fail
//! # async fn f(tx: safetrain::context::WriteTx<'_>) {
//! let txn: sea_orm::DatabaseTransaction = tx.txn; // private: the transaction stays inside
//! # }
//! ```
use actix_web::HttpMessage;
use sea_orm::DatabaseTransaction;
use serde::Serialize;
use uuid::Uuid;

use super::Cx;
use super::idempotency::Claim;
use crate::auth::{Actor, Policy};
use crate::changes::{self, Change, Operation};
use crate::domain::for_audit;
use crate::error::{AppError, AppResult};
use crate::http::extract::TypedBody;

/// A write in progress: a database transaction (on SQLite holding the write lock), the change
/// events it will append, and what its audit record needs.
pub struct WriteTx<'c> {
    txn: DatabaseTransaction,
    /// Who writes; `None` for a public write by a caller without an account.
    actor: Option<&'c Actor>,
    cx: CxParts<'c>,
    changes: Vec<Change>,
    invalidated: Vec<String>,
    pub(super) claim: Option<Claim>,
}

/// What a write needs of the request context.
struct CxParts<'c> {
    audit: &'c crate::audit::AuditContext,
    req: &'c actix_web::HttpRequest,
    cipher: &'c crate::crypto::DataCipher,
    answers: &'c super::cache::AnswerCache,
}

impl<P: Policy<Caller = Actor>> Cx<P> {
    /// Starts a write.
    pub async fn begin(&self) -> AppResult<WriteTx<'_>> {
        self.begin_as(&self.actor).await
    }
}

impl<P: Policy> Cx<P> {
    /// Starts a write on behalf of `actor`: for an operation whose caller becomes known in the
    /// operation itself (a sign-in with a password), the record names who signed in.
    pub async fn begin_as<'a>(&'a self, actor: &'a Actor) -> AppResult<WriteTx<'a>> {
        self.begin_by(Some(actor)).await
    }

    /// Starts a write by whoever calls a public operation: the signed-in caller if there is
    /// one, else nobody (the audit record then names the client only).
    pub async fn begin_by<'a>(&'a self, actor: Option<&'a Actor>) -> AppResult<WriteTx<'a>> {
        let txn = crate::db::begin_write(&self.db).await?;
        Ok(WriteTx {
            txn,
            actor,
            cx: CxParts {
                audit: &self.audit,
                req: &self.req,
                cipher: &self.svc.cipher,
                answers: &self.svc.answers,
            },
            changes: Vec::new(),
            invalidated: Vec::new(),
            claim: None,
        })
    }
}

impl WriteTx<'_> {
    /// The transaction, for repository calls.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// The signed-in writer. Only writes begun for a caller without an account have none,
    /// and their code never asks.
    pub fn actor(&self) -> &Actor {
        self.actor
            .expect("a write begun by nobody asked for its actor")
    }

    /// Names the resource this write touches, for its audit record.
    pub fn touches(&self, kind: &str, id: impl ToString, city: Option<&str>) {
        self.cx.audit.set_resource(kind, id, city);
    }

    /// Appends a change event (the resource's shared representation at `version`), written
    /// with the commit.
    pub fn changed<T: Serialize>(
        &mut self,
        kind: &'static str,
        id: Uuid,
        operation: Operation,
        version: i32,
        data: &T,
    ) -> AppResult<()> {
        self.changes
            .push(Change::new(kind, id, operation, version, data).map_err(AppError::internal)?);
        Ok(())
    }

    /// Marks a cached scope as changed by this write (its version moves with the commit).
    pub async fn invalidate(&mut self, scope: String) -> AppResult<()> {
        super::cache::bump(&self.txn, &scope).await?;
        self.invalidated.push(scope);
        Ok(())
    }

    /// Commits the write with its change events and its audit record (`status` and `answer`
    /// as the caller receives them); nothing is committed if any of them fails.
    pub async fn commit<T: Serialize>(self, status: u16, answer: &T) -> AppResult<()> {
        self.finish(status, answer, None).await
    }

    /// Commits a create, storing its `Idempotency-Key` (if any) with the new resource's id.
    pub(super) async fn finish<T: Serialize>(
        self,
        status: u16,
        answer: &T,
        created: Option<(&'static str, Uuid, &str)>,
    ) -> AppResult<()> {
        changes::append(&self.txn, self.cx.cipher, &self.changes).await?;
        if let (Some(claim), Some((kind, id, location))) = (&self.claim, created) {
            super::idempotency::store(&self.txn, claim, kind, id, status, location).await?;
        }
        let request = self
            .cx
            .req
            .extensions()
            .get::<TypedBody>()
            .map(|b| b.0.clone());
        self.cx
            .audit
            .record_in(&self.txn, self.actor, status, request, for_audit(answer).0)
            .await?;
        self.txn.commit().await?;
        for scope in &self.invalidated {
            self.cx.answers.forget(scope);
        }
        Ok(())
    }
}
