//! Registering many learners from a CSV file: every row checked by the rules of a single
//! registration, a bad row reported and written nowhere, the good rows written together.
use std::collections::HashSet;

use actix_web::web::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::dto::LearnerCreate;
use super::repo;
use super::service::{self, Editors, ID_NUMBER, PHONE, RESOURCE};
use crate::changes::Operation;
use crate::context::Cx;
use crate::domain::OneTimeSecret;
use crate::error::{AppError, AppResult, Code, FieldError};
use crate::institutions;

/// The most rows one import takes, and the most bytes.
pub const MAX_ROWS: usize = 1000;
pub const MAX_BYTES: usize = 1024 * 1024;

/// The columns of a learner CSV; `operation_type` and `password` may be empty.
pub const COLUMNS: &[&str] = &[
    "name",
    "id_number",
    "phone",
    "employer_name",
    "employer_credit_code",
    "industry",
    "city_code",
    "training_category",
    "operation_type",
    "training_type",
    "password",
];
const OPTIONAL: &[&str] = &["operation_type", "password"];

/// Where the imported learners go.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The institution the learners train at: the caller's own.
    #[serde(deserialize_with = "crate::http::extract::canonical_uuid")]
    #[param(value_type = String, format = Uuid)]
    pub institution_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Created,
    Rejected,
}

/// What became of one data row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRow {
    /// The data row's number: 1 for the first row after the header.
    pub row: u64,
    /// `created`, or `rejected` with the reasons in `errors`.
    pub outcome: RowOutcome,
    /// The new learner's id, for a created row.
    #[schema(required = true)]
    pub learner_id: Option<Uuid>,
    /// The generated password of a created row whose `password` was empty, shown here only.
    #[schema(required = true, value_type = Option<String>)]
    pub initial_password: Option<OneTimeSecret>,
    /// Why the row was rejected: each field and rule (never the value).
    pub errors: Vec<FieldError>,
}

/// The outcome of an import: counts and one entry per data row, in file order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Rows written.
    pub created: u64,
    /// Rows reported and written nowhere.
    pub rejected: u64,
    /// One entry per data row.
    pub rows: Vec<ImportRow>,
}

/// Reads the body, up to [`MAX_BYTES`] (413 beyond).
pub async fn read_body(mut payload: actix_web::web::Payload) -> AppResult<Bytes> {
    let mut buf = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if crate::http::body::is_timeout(&e) {
                AppError::new(
                    Code::RequestTimeout,
                    "the request body did not arrive in time",
                )
            } else {
                AppError::new(Code::MalformedBody, "the request body could not be read")
            }
        })?;
        if buf.len() + chunk.len() > MAX_BYTES {
            return Err(AppError::payload_too_large(MAX_BYTES));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A rejected row.
fn rejected(row: u64, errors: Vec<FieldError>) -> ImportRow {
    ImportRow {
        row,
        outcome: RowOutcome::Rejected,
        learner_id: None,
        initial_password: None,
        errors,
    }
}

/// A data row's number and its create body, or why it cannot be one.
type ParsedRow = (u64, Result<LearnerCreate, Vec<FieldError>>);

/// The rows of `csv` as create bodies for `institution`, or why each could not be one. The
/// header must name the columns of [`COLUMNS`] (any order; `password` may be left out).
fn parse(institution: Uuid, csv_text: &[u8]) -> AppResult<Vec<ParsedRow>> {
    let text = csv_text
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(csv_text);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text);
    let header_error = |message: String| AppError::field("header", "columns", message);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| header_error("the first line must be a CSV header in UTF-8".into()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let unknown: Vec<&String> = headers
        .iter()
        .filter(|h| !COLUMNS.contains(&h.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(header_error(format!(
            "unknown columns: {unknown:?}; the columns are {COLUMNS:?}"
        )));
    }
    let missing: Vec<&&str> = COLUMNS
        .iter()
        .filter(|c| **c != "password" && !headers.iter().any(|h| h == *c))
        .collect();
    if !missing.is_empty() {
        return Err(header_error(format!("missing columns: {missing:?}")));
    }
    if headers.iter().collect::<HashSet<_>>().len() != headers.len() {
        return Err(header_error("a column is named twice".into()));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        if out.len() == MAX_ROWS {
            return Err(AppError::field(
                "body",
                "max_rows",
                format!("an import takes at most {MAX_ROWS} rows"),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                out.push((
                    out.len() as u64 + 1,
                    Err(vec![FieldError::new(
                        "row",
                        "csv",
                        "the row is not well-formed CSV (quotes, field count or UTF-8)",
                    )]),
                ));
                continue;
            }
        };
        let line = out.len() as u64 + 1;
        let mut map = Map::new();
        map.insert(
            "institution_id".into(),
            Value::String(institution.to_string()),
        );
        for (name, value) in headers.iter().zip(record.iter()) {
            let value = if value.is_empty() && OPTIONAL.contains(&name.as_str()) {
                Value::Null
            } else {
                Value::String(value.to_owned())
            };
            map.insert(name.clone(), value);
        }
        let parsed = serde_path_to_error::deserialize::<_, LearnerCreate>(Value::Object(map))
            .map_err(|e| vec![crate::http::extract::serde_field_error(&e, "row")])
            .and_then(|body| {
                service::check_operation_type(
                    &body.training_category,
                    body.operation_type.as_ref().map(|o| o.as_str()),
                )
                .map_err(|e| e.errors().to_vec())?;
                Ok(body)
            });
        out.push((line, parsed));
    }
    if out.is_empty() {
        return Err(AppError::field(
            "body",
            "min_rows",
            "the file has no data rows",
        ));
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(institution = %institution))]
pub async fn import(
    cx: &Cx<Editors>,
    institution: Uuid,
    csv_text: Bytes,
) -> AppResult<ImportReport> {
    let city =
        institutions::service::acting_for(cx.db.get_ref(), &cx.actor, institution, "learners")
            .await?;
    let cipher = &cx.svc.cipher;
    let parsed = parse(institution, &csv_text)?;
    // Each row by the rules of a single registration, then against the other rows and the
    // learners already registered.
    let mut rows: Vec<ImportRow> = Vec::new();
    let mut good: Vec<(usize, LearnerCreate)> = Vec::new();
    let (mut ids, mut phones) = (HashSet::new(), HashSet::new());
    for (line, result) in parsed {
        let body = match result {
            Ok(body) => body,
            Err(errors) => {
                rows.push(rejected(line, errors));
                continue;
            }
        };
        let mut errors = Vec::new();
        if let Err(e) = service::known_city(cx, &body.city_code) {
            errors.extend(e.errors().iter().cloned());
        }
        let (id_hash, phone_hash) = (
            cipher.lookup_hash(ID_NUMBER, &body.id_number),
            cipher.lookup_hash(PHONE, &body.phone),
        );
        if !ids.insert(id_hash.clone()) {
            errors.push(FieldError::new(
                "id_number",
                "duplicate_in_file",
                "an earlier row has this identity number",
            ));
        } else if repo::find_by_login(
            cx.db.get_ref(),
            super::entity::learner::Column::IdNumberHash,
            &id_hash,
        )
        .await?
        .is_some()
        {
            errors.push(FieldError::new(
                "id_number",
                "taken",
                "a learner with this identity number exists",
            ));
        }
        if !phones.insert(phone_hash.clone()) {
            errors.push(FieldError::new(
                "phone",
                "duplicate_in_file",
                "an earlier row has this phone number",
            ));
        } else if repo::find_by_login(
            cx.db.get_ref(),
            super::entity::learner::Column::PhoneHash,
            &phone_hash,
        )
        .await?
        .is_some()
        {
            errors.push(FieldError::new(
                "phone",
                "taken",
                "a learner with this phone number exists",
            ));
        }
        if errors.is_empty() {
            good.push((rows.len(), body));
            rows.push(rejected(line, Vec::new()));
        } else {
            rows.push(rejected(line, errors));
        }
    }
    // Passwords: Argon2id per row, two at a time off the async threads.
    let mut secrets = Vec::with_capacity(good.len());
    for (_, body) in &good {
        let generated = match &body.password {
            Some(_) => None,
            None => Some(crate::crypto::generate_password().map_err(AppError::bug)?),
        };
        let plain = body
            .password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .or_else(|| generated.clone())
            .unwrap_or_default();
        secrets.push((generated, plain));
    }
    let hashes: Vec<AppResult<String>> = futures_util::stream::iter(
        secrets
            .iter()
            .map(|(_, plain)| service::hash_password(&cx.svc.settings.auth.local, plain.clone())),
    )
    .buffered(2)
    .collect()
    .await;
    let mut tx = cx.begin().await?;
    institutions::service::acting_for(tx.conn(), tx.actor(), institution, "learners").await?;
    for (((index, body), (generated, _)), hash) in good.iter().zip(secrets).zip(hashes) {
        let hash = hash?;
        let id = Uuid::now_v7();
        let encrypt = |v: &str| cipher.encrypt(v).map_err(AppError::bug);
        let row = service::new_row(
            cipher,
            id,
            body,
            &hash,
            &encrypt(&body.id_number)?,
            &encrypt(&body.phone)?,
        );
        let row = repo::insert(tx.conn(), row).await.map_err(service::taken)?;
        let shared = service::to_dto(cipher, true, row)?;
        tx.changed(RESOURCE, id, Operation::Created, 1, &shared.value)?;
        let entry = &mut rows[*index];
        entry.outcome = RowOutcome::Created;
        entry.learner_id = Some(id);
        entry.initial_password = generated.map(OneTimeSecret::new);
    }
    let created = good.len() as u64;
    let report = ImportReport {
        created,
        rejected: rows.len() as u64 - created,
        rows,
    };
    tx.touches("institution", institution, Some(&city));
    tx.commit(200, &report).await?;
    Ok(report)
}
