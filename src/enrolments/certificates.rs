//! Certificates of training hours (学时证明): issued for an enrolment whose programme hours are
//! credited and whose every course is done (its hours and its quiz), verified publicly by
//! number and code (the answer says only whether it is genuine, and its minimal facts), revoked
//! by a regulator with a reason.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::dto::{EnrolmentStatus, QuizState};
use super::entity::{certificate, enrolment};
use super::programmes::Programmes;
use crate::auth::{Actor, Public, Role};
use crate::changes::Operation;
use crate::context::Cx;
use crate::courses::dto::Hours;
use crate::domain::Reason;
use crate::error::{AppError, AppResult, Code};

pub const RESOURCE: &str = "certificate";

crate::policy!(/// Who may issue a certificate: the learner's institution.
    Issuers = &[Role::InstitutionAdmin]);
crate::policy!(/// Who may revoke one: the regulators.
    Revokers = &[Role::ProvinceAdmin, Role::CityAdmin]);
crate::policy!(/// Who may have a certificate's PDF (it carries the verification code): its holders.
    Holders = &[Role::InstitutionAdmin, Role::Learner]);
crate::policy!(/// Who may read a certificate's record.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::InstitutionAdmin, Role::PlatformOperator, Role::Learner]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Valid,
    Revoked,
}

/// A certificate's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    /// Its number, printed on it.
    #[schema(example = "GD2026000123456789")]
    pub number: String,
    /// The enrolment it certifies.
    pub enrolment_id: Uuid,
    /// The learner.
    pub learner_id: Uuid,
    /// The learner's name, masked (`张*`).
    #[schema(example = "张*")]
    pub learner_name: String,
    /// The institution that trained the learner.
    pub institution_id: Uuid,
    /// The programme.
    #[schema(example = "special_operation-0102-initial")]
    pub programme_code: String,
    /// The programme's name.
    pub programme_name: String,
    /// Hours (学时) certified.
    #[schema(example = "48")]
    pub hours: String,
    /// When the training began…
    pub period_start: DateTime<Utc>,
    /// …and ended.
    pub period_end: DateTime<Utc>,
    /// The code that verifies it (`GET /certificates/{number}/verify?code=`), printed on it.
    /// Shown to the learner and its institution only.
    #[schema(required = true)]
    pub verification_code: Option<String>,
    /// `valid`, or `revoked`.
    pub status: CertificateStatus,
    /// When and why it was revoked.
    #[schema(required = true)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked.
    #[schema(required = true)]
    pub revoke_reason: Option<String>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// What a public verification answers: whether the certificate is genuine and, only if so,
/// its minimal facts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    /// True when the number and the code belong together.
    pub genuine: bool,
    /// The facts, when genuine.
    #[schema(required = true)]
    pub certificate: Option<VerifiedFacts>,
}

/// The minimal facts of a genuine certificate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifiedFacts {
    /// Its number.
    pub number: String,
    /// The learner's name, masked.
    pub learner_name: String,
    /// The programme's name.
    pub programme_name: String,
    /// Hours (学时) certified.
    pub hours: String,
    /// The training institution's name.
    pub institution_name: String,
    /// `valid` or `revoked`.
    pub status: CertificateStatus,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// A certificate number in a path.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NumberPath {
    /// The certificate's number.
    pub number: crate::domain::Label,
}

/// The code of a verification.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// The verification code printed on the certificate.
    pub code: crate::domain::Label,
}

/// The body of a revocation.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why it is revoked.
    pub reason: Reason,
}

/// Keeps the first character of a name and masks the rest (`张三` → `张*`).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Random characters from an alphabet without look-alikes.
fn random_code(len: usize) -> AppResult<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut raw = vec![0u8; len];
    getrandom::fill(&mut raw).map_err(|e| AppError::bug(e.to_string()))?;
    Ok(raw
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

async fn to_dto<P: crate::auth::Policy>(
    cx: &Cx<P>,
    m: certificate::Model,
    with_code: bool,
) -> AppResult<Certificate> {
    let programmes = cx.data::<Programmes>()?;
    let name = crate::learners::entity::learner::Entity::find_by_id(m.learner_id)
        .one(cx.db.get_ref())
        .await?
        .map(|l| l.name)
        .unwrap_or_default();
    let code = if with_code {
        Some(cx.svc.cipher.decrypt(&m.code_enc).map_err(AppError::bug)?)
    } else {
        None
    };
    Ok(Certificate {
        number: m.number,
        enrolment_id: m.enrolment_id,
        learner_id: m.learner_id,
        learner_name: mask_name(&name),
        institution_id: m.institution_id,
        programme_name: programmes
            .get(&m.programme_code)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        programme_code: m.programme_code,
        hours: Hours::from_tenths(m.hours_tenths as u32).to_string(),
        period_start: m.period_start,
        period_end: m.period_end,
        verification_code: code,
        status: if m.status == "revoked" {
            CertificateStatus::Revoked
        } else {
            CertificateStatus::Valid
        },
        revoked_at: m.revoked_at,
        revoke_reason: m.revoke_reason,
        issued_at: m.issued_at,
    })
}

/// Issues the certificate of a completed enrolment: the programme's hours credited, every
/// course's hours credited and its quiz (if any) passed. The enrolment becomes `completed`.
#[tracing::instrument(skip_all, fields(enrolment = %id))]
pub async fn issue(cx: &Cx<Issuers>, id: Uuid) -> AppResult<Certificate> {
    let now = cx.svc.clock.now();
    let programmes = cx.data::<Programmes>()?;
    let minutes = cx.svc.settings.courses.minutes_per_hour;
    let mut tx = cx.begin().await?;
    let row = super::service::find_in(tx.conn(), &cx.audit, &cx.actor, id).await?;
    crate::institutions::service::acting_for(
        tx.conn(),
        &cx.actor,
        row.institution_id,
        "certificates",
    )
    .await?;
    let progress = super::service::to_dto(tx.conn(), &programmes, minutes, row.clone())
        .await?
        .value;
    if progress.status == EnrolmentStatus::Completed {
        return Err(AppError::new(
            Code::IllegalTransition,
            "the enrolment has its certificate already",
        ));
    }
    let unfinished: Vec<&str> = progress
        .courses
        .iter()
        .filter(|c| c.remaining_seconds > 0 || c.quiz == QuizState::Pending)
        .map(|c| c.title.as_str())
        .collect();
    if progress.remaining_seconds > 0 || !unfinished.is_empty() {
        return Err(AppError::new(
            Code::TrainingIncomplete,
            format!(
                "{} seconds of the programme remain; courses not done (hours or quiz): {}",
                progress.remaining_seconds,
                unfinished.join(", ")
            ),
        ));
    }
    let number = format!("GD{}{}", now.format("%Y"), random_code(12)?);
    let code = random_code(8)?;
    let cert = certificate::ActiveModel {
        id: Set(Uuid::now_v7()),
        number: Set(number),
        enrolment_id: Set(row.id),
        learner_id: Set(row.learner_id),
        institution_id: Set(row.institution_id),
        city_code: Set(row.city_code.clone()),
        programme_code: Set(row.programme_code.clone()),
        hours_tenths: Set(row.required_tenths),
        period_start: Set(row.created_at),
        period_end: Set(now),
        code_enc: Set(cx.svc.cipher.encrypt(&code).map_err(AppError::bug)?),
        status: Set("valid".into()),
        revoked_at: Set(None),
        revoke_reason: Set(None),
        revoked_by: Set(None),
        issued_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let cert_id = cert.id;
    let done = enrolment::Entity::update_many()
        .col_expr(
            enrolment::Column::Status,
            sea_orm::sea_query::Expr::value("completed"),
        )
        .col_expr(
            enrolment::Column::ActiveKey,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            enrolment::Column::CompletedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            enrolment::Column::Version,
            sea_orm::sea_query::Expr::value(row.version + 1),
        )
        .col_expr(
            enrolment::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(enrolment::Column::Id.eq(row.id))
        .filter(enrolment::Column::Version.eq(row.version))
        .exec(tx.conn())
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::new(
            Code::ConcurrentChange,
            "the enrolment changed meanwhile; retry",
        ));
    }
    let answer = to_dto(cx, cert, true).await?;
    let mut shared = answer.clone();
    shared.verification_code = None;
    tx.changed(RESOURCE, cert_id, Operation::Created, 1, &shared)?;
    let updated = enrolment::Entity::find_by_id(row.id)
        .one(tx.conn())
        .await?
        .ok_or_else(AppError::not_found)?;
    let enrolment = super::service::to_dto(tx.conn(), &programmes, minutes, updated).await?;
    tx.changed(
        super::service::RESOURCE,
        row.id,
        Operation::Updated,
        enrolment.version,
        &enrolment.value,
    )?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

async fn by_number<C: sea_orm::ConnectionTrait>(
    db: &C,
    number: &str,
) -> AppResult<Option<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::Number.eq(number))
        .one(db)
        .await?)
}

/// The certificate `actor` may read, or 404: the learner its own, others by scope.
fn may_read(actor: &Actor, m: &certificate::Model) -> bool {
    match actor.role {
        Role::Learner => actor.subject == m.learner_id.to_string(),
        _ => match actor.scope() {
            crate::auth::Scope::All => true,
            crate::auth::Scope::City(c) => c == m.city_code,
            crate::auth::Scope::Institution(i) => i == m.institution_id,
            crate::auth::Scope::Nothing => false,
        },
    }
}

/// The certificate `number` if the caller may read it (else 404), noted in the audit record.
async fn readable<P: crate::auth::Policy<Caller = Actor>>(
    cx: &Cx<P>,
    number: &str,
) -> AppResult<certificate::Model> {
    let m = by_number(cx.db.get_ref(), number)
        .await?
        .filter(|m| may_read(&cx.actor, m))
        .ok_or_else(AppError::not_found)?;
    cx.audit
        .set_resource(RESOURCE, &m.number, Some(&m.city_code));
    Ok(m)
}

/// The name of the institution that trained the learner, printed and verified.
async fn institution_name<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> AppResult<String> {
    Ok(
        crate::institutions::entity::institution::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|i| i.name)
            .unwrap_or_default(),
    )
}

#[tracing::instrument(skip_all)]
pub async fn get(cx: &Cx<Readers>, number: &str) -> AppResult<Certificate> {
    let m = readable(cx, number).await?;
    let with_code = matches!(cx.actor.role, Role::Learner | Role::InstitutionAdmin);
    to_dto(cx, m, with_code).await
}

/// Public: whether `number` and `code` belong together. A wrong code (or number) answers
/// `genuine: false` and nothing else.
#[tracing::instrument(skip_all)]
pub async fn verify(cx: &Cx<Public>, number: &str, code: &str) -> AppResult<Verification> {
    let Some(m) = by_number(cx.db.get_ref(), number).await? else {
        return Ok(Verification {
            genuine: false,
            certificate: None,
        });
    };
    let stored = cx.svc.cipher.decrypt(&m.code_enc).map_err(AppError::bug)?;
    let matches = {
        use sha2::Digest;
        // Compared as digests, so the time taken does not depend on where they differ.
        sha2::Sha256::digest(stored.as_bytes())
            == sha2::Sha256::digest(code.trim().to_ascii_uppercase().as_bytes())
    };
    if !matches {
        return Ok(Verification {
            genuine: false,
            certificate: None,
        });
    }
    let institution_name = institution_name(cx.db.get_ref(), m.institution_id).await?;
    let c = to_dto(cx, m, false).await?;
    Ok(Verification {
        genuine: true,
        certificate: Some(VerifiedFacts {
            number: c.number,
            learner_name: c.learner_name,
            programme_name: c.programme_name,
            hours: c.hours,
            institution_name,
            status: c.status,
            issued_at: c.issued_at,
        }),
    })
}

#[tracing::instrument(skip_all)]
pub async fn revoke(
    cx: &Cx<Revokers>,
    number: &str,
    body: RevokeRequest,
) -> AppResult<Certificate> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let m = by_number(tx.conn(), number)
        .await?
        .filter(|m| may_read(&cx.actor, m))
        .ok_or_else(AppError::not_found)?;
    tx.touches(RESOURCE, &m.number, Some(&m.city_code));
    if m.status == "revoked" {
        return Err(AppError::new(
            Code::IllegalTransition,
            "the certificate is revoked already",
        ));
    }
    let mut row: certificate::ActiveModel = m.into();
    row.status = Set("revoked".into());
    row.revoked_at = Set(Some(now));
    row.revoke_reason = Set(Some(body.reason.to_string()));
    row.revoked_by = Set(Some(cx.actor.subject.clone()));
    let m = row.update(tx.conn()).await?;
    let answer = to_dto(cx, m.clone(), false).await?;
    tx.changed(RESOURCE, m.id, Operation::Updated, 2, &answer)?;
    tx.commit(200, &answer).await?;
    Ok(answer)
}

/// The certificate as a one-page A4 PDF: its facts in Chinese, the verification code, and a
/// QR code of the public verification address. A revoked certificate says so on its face.
#[tracing::instrument(skip_all)]
pub async fn pdf(cx: &Cx<Holders>, number: &str) -> AppResult<Vec<u8>> {
    // A server that cannot set Chinese text says so before anything else.
    let fonts = cx.data::<crate::media::pdf::Fonts>()?;
    let font = fonts.get().await.map_err(|e| {
        tracing::error!(error = %e, "certificate PDF");
        AppError::not_installed(
            "no CJK font to set the certificate in is installed on the server (certificates.fonts)",
        )
    })?;
    let m = readable(cx, number).await?;
    let institution_name = institution_name(cx.db.get_ref(), m.institution_id).await?;
    let c = to_dto(cx, m, true).await?;
    let page = certificate_page(
        &c,
        &institution_name,
        &cx.svc.settings.certificates.public_base_url,
    );
    tokio::task::spawn_blocking(move || crate::media::pdf::render(&font, &page))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// What the certificate's page says, and where.
fn certificate_page(c: &Certificate, institution: &str, base_url: &str) -> crate::media::pdf::Page {
    use crate::media::pdf::{Line, Qr};
    let day = |t: DateTime<Utc>| {
        crate::clock::shanghai_day(t)
            .format("%Y年%m月%d日")
            .to_string()
    };
    let code = c.verification_code.clone().unwrap_or_default();
    let verify_url = format!(
        "{}/api/v1/certificates/{}/verify?code={}",
        base_url.trim_end_matches('/'),
        c.number,
        code
    );
    let status = match (&c.status, c.revoked_at) {
        (CertificateStatus::Revoked, Some(at)) => format!(
            "已撤销（{}；{}）",
            day(at),
            c.revoke_reason.as_deref().unwrap_or_default()
        ),
        (CertificateStatus::Revoked, None) => "已撤销".to_owned(),
        (CertificateStatus::Valid, _) => "有效".to_owned(),
    };
    let facts = [
        ("证书编号", c.number.clone()),
        ("学员姓名", c.learner_name.clone()),
        ("培训项目", c.programme_name.clone()),
        ("培训学时", format!("{} 学时", c.hours)),
        (
            "培训期间",
            format!("{} 至 {}", day(c.period_start), day(c.period_end)),
        ),
        ("培训机构", institution.to_owned()),
        ("签发日期", day(c.issued_at)),
        ("核验码", code),
        ("证书状态", status),
    ];
    let mut lines = vec![
        Line {
            x: 70.0,
            y: 260.0,
            size: 24.0,
            text: "培训学时证明".into(),
        },
        Line {
            x: 52.0,
            y: 248.0,
            size: 12.0,
            text: "广东省安全生产资格考试网络培训平台".into(),
        },
    ];
    let mut y = 225.0;
    for (label, value) in facts {
        lines.push(Line {
            x: 25.0,
            y,
            size: 12.0,
            text: format!("{label}：{value}"),
        });
        y -= 11.0;
    }
    lines.push(Line {
        x: 25.0,
        y: 95.0,
        size: 10.0,
        text: "扫描二维码或访问下列地址核验本证明：".into(),
    });
    lines.push(Line {
        x: 25.0,
        y: 88.0,
        size: 7.0,
        text: verify_url.clone(),
    });
    crate::media::pdf::Page {
        title: format!("培训学时证明 {}", c.number),
        width: 210.0,
        height: 297.0,
        lines,
        qr: Some(Qr {
            x: 135.0,
            y: 100.0,
            side: 50.0,
            data: verify_url,
        }),
    }
}
