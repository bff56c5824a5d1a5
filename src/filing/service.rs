//! The platform's filing profile (one row, encrypted whole), its management documents (every
//! version kept) and the filing report: the application form filled from the profile, with
//! the counts that show the commitments are kept.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::*;
use super::entity::{policy, profile};
use crate::auth::Role;
use crate::changes::Operation;
use crate::context::Cx;
use crate::error::{AppError, AppResult};
use crate::http::etag::{IfMatch, Versioned};

pub const RESOURCE: &str = "platform_profile";
pub const POLICY: &str = "policy";
/// The profile's one row.
const ROW: i32 = 1;

crate::policy!(/// Who reads the profile, the documents and the filing report: the regulators and
    /// the platform's operators.
    Readers = &[Role::ProvinceAdmin, Role::CityAdmin, Role::PlatformOperator]);
crate::policy!(/// Who keeps them: the platform's operators.
    Keepers = &[Role::PlatformOperator]);

/// The profile as stored (version 0: never filled).
async fn load<C: ConnectionTrait>(
    db: &C,
    cipher: &crate::crypto::DataCipher,
) -> AppResult<Versioned<PlatformProfile>> {
    let Some(row) = profile::Entity::find_by_id(ROW).one(db).await? else {
        return Ok(Versioned::new(
            PlatformProfile {
                fields: ProfileFields::default(),
                updated_by: None,
                updated_at: None,
            },
            0,
        ));
    };
    let plain = cipher.decrypt(&row.data_enc).map_err(AppError::bug)?;
    let fields: ProfileFields = serde_json::from_str(&plain).map_err(AppError::internal)?;
    Ok(Versioned::new(
        PlatformProfile {
            fields,
            updated_by: Some(row.updated_by),
            updated_at: Some(row.updated_at),
        },
        row.version,
    ))
}

#[tracing::instrument(skip_all)]
pub async fn get(cx: &Cx<Readers>) -> AppResult<Versioned<PlatformProfile>> {
    cx.audit.set_resource(RESOURCE, ROW, None);
    load(cx.db.get_ref(), &cx.svc.cipher).await
}

#[tracing::instrument(skip_all)]
pub async fn public(cx: &Cx<crate::auth::Public>) -> AppResult<PublicPlatformProfile> {
    let p = load(cx.db.get_ref(), &cx.svc.cipher).await?.value.fields;
    Ok(PublicPlatformProfile {
        company_name: p.company_name.map(|v| v.to_string()),
        platform_url: p.platform_url.map(|v| v.to_string()),
        hotline: p.hotline.map(|v| v.to_string()),
        service_email: p.service_email.map(|v| v.to_string()),
    })
}

#[tracing::instrument(skip_all)]
pub async fn update(
    cx: &Cx<Keepers>,
    if_match: &IfMatch,
    body: PlatformProfileUpdate,
) -> AppResult<Versioned<PlatformProfile>> {
    if serde_json::to_value(&body).map_err(AppError::internal)? == serde_json::json!({}) {
        return Err(AppError::field(
            "body",
            "min_properties",
            "name at least one field to change",
        ));
    }
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    tx.touches(RESOURCE, ROW, None);
    let current = load(tx.conn(), &cx.svc.cipher).await?;
    if_match.check(current.version)?;
    let mut f = current.value.fields;
    macro_rules! take {
        ($($field:ident),*) => { $(if let Some(v) = body.$field { f.$field = Some(v); })* };
    }
    take!(
        company_name,
        credit_code,
        registered_address,
        office_address,
        legal_representative,
        legal_representative_phone,
        contact_person,
        contact_phone,
        business_term,
        platform_url,
        introduction,
        hotline,
        service_email
    );
    if let Some(team) = body.complaint_team {
        f.complaint_team = team;
    }
    let plain = serde_json::to_string(&f).map_err(AppError::internal)?;
    let data_enc = cx.svc.cipher.encrypt(&plain).map_err(AppError::bug)?;
    let version = current.version + 1;
    if current.version == 0 {
        profile::ActiveModel {
            id: Set(ROW),
            data_enc: Set(data_enc),
            version: Set(version),
            updated_by: Set(cx.actor.subject.clone()),
            updated_at: Set(now),
        }
        .insert(tx.conn())
        .await?;
    } else {
        let done = profile::Entity::update_many()
            .set(profile::ActiveModel {
                data_enc: Set(data_enc),
                version: Set(version),
                updated_by: Set(cx.actor.subject.clone()),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(profile::Column::Id.eq(ROW))
            .filter(profile::Column::Version.eq(current.version))
            .exec(tx.conn())
            .await?;
        if done.rows_affected != 1 {
            return Err(AppError::new(
                crate::error::Code::ConcurrentChange,
                "the profile changed meanwhile; read it again",
            ));
        }
    }
    let answer = Versioned::new(
        PlatformProfile {
            fields: f,
            updated_by: Some(cx.actor.subject.clone()),
            updated_at: Some(now),
        },
        version,
    );
    tx.changed(
        RESOURCE,
        Uuid::nil(),
        Operation::Updated,
        version,
        &answer.value,
    )?;
    tx.commit(200, &answer.value).await?;
    Ok(answer)
}

fn to_policy(m: policy::Model, in_force: bool) -> Policy {
    Policy {
        id: m.id,
        kind: PolicyKind::from_db(&m.kind),
        version_number: m.version_number,
        title: m.title,
        content: m.content,
        effective_on: m.effective_on,
        in_force,
        author_subject: m.author_subject,
        created_at: m.created_at,
    }
}

/// Every version of the documents (of `kind`), each marked whether it is in force on `today`:
/// the newest version of its kind already effective.
async fn policies<C: ConnectionTrait>(
    db: &C,
    kind: Option<PolicyKind>,
    today: chrono::NaiveDate,
) -> AppResult<Vec<Policy>> {
    let mut q = policy::Entity::find()
        .order_by_asc(policy::Column::Kind)
        .order_by_asc(policy::Column::VersionNumber);
    if let Some(kind) = kind {
        q = q.filter(policy::Column::Kind.eq(kind.as_str()));
    }
    let rows = q.all(db).await?;
    let in_force: Vec<Uuid> = PolicyKind::ALL
        .iter()
        .filter_map(|k| {
            rows.iter()
                .filter(|r| r.kind == k.as_str() && r.effective_on <= today)
                .max_by_key(|r| r.version_number)
                .map(|r| r.id)
        })
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let now = in_force.contains(&r.id);
            to_policy(r, now)
        })
        .collect())
}

#[tracing::instrument(skip_all)]
pub async fn list_policies(cx: &Cx<Readers>, q: &PolicyListQuery) -> AppResult<Vec<Policy>> {
    let today = crate::clock::shanghai_day(cx.svc.clock.now());
    policies(cx.db.get_ref(), q.kind, today).await
}

#[tracing::instrument(skip_all)]
pub async fn create_policy(cx: &Cx<Keepers>, body: PolicyCreate) -> AppResult<Policy> {
    let now = cx.svc.clock.now();
    let mut tx = cx.begin().await?;
    let last: Option<i32> = policy::Entity::find()
        .select_only()
        .column(policy::Column::VersionNumber)
        .filter(policy::Column::Kind.eq(body.kind.as_str()))
        .order_by_desc(policy::Column::VersionNumber)
        .into_tuple()
        .one(tx.conn())
        .await?;
    let id = Uuid::now_v7();
    tx.touches(POLICY, id, None);
    let row = policy::ActiveModel {
        id: Set(id),
        kind: Set(body.kind.as_str().into()),
        version_number: Set(last.unwrap_or(0) + 1),
        title: Set(body.title.to_string()),
        content: Set(body.content.to_string()),
        effective_on: Set(body.effective_on.get()),
        author_subject: Set(cx.actor.subject.clone()),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let today = crate::clock::shanghai_day(now);
    let in_force = policies(tx.conn(), Some(body.kind), today)
        .await?
        .iter()
        .any(|p| p.id == id && p.in_force);
    let answer = to_policy(row, in_force);
    tx.changed(POLICY, id, Operation::Created, 1, &answer)?;
    tx.commit(201, &answer).await?;
    Ok(answer)
}

/// The last verification of the audit chain that the audit log recorded (its own answer).
async fn last_chain_check<C: ConnectionTrait>(db: &C) -> AppResult<Option<ChainCheck>> {
    use crate::audit::entity::{Column, Entity};
    let row: Option<(chrono::DateTime<chrono::Utc>, Option<String>)> = Entity::find()
        .select_only()
        .column(Column::OccurredAt)
        .column(Column::ResponseBody)
        .filter(Column::Route.eq("/api/v1/audit-logs/verify"))
        .filter(Column::Status.eq(200))
        .order_by_desc(Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map(|(at, body)| ChainCheck {
        verified_at: at,
        ok: body
            .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
            .and_then(|v| v["ok"].as_bool())
            .unwrap_or(false),
    }))
}

#[tracing::instrument(skip_all)]
pub async fn report(cx: &Cx<Readers>) -> AppResult<FilingReport> {
    use crate::complaints::entity::complaint;
    use crate::courses::entity::course;
    use crate::courses::status::CourseStatus;
    use crate::institutions::entity::institution;
    let db = cx.db.get_ref();
    let now = cx.svc.clock.now();
    let today = crate::clock::shanghai_day(now);
    let counted: Vec<(String, i64)> = institution::Entity::find()
        .select_only()
        .column(institution::Column::CityCode)
        .column_as(institution::Column::Id.count(), "n")
        .group_by(institution::Column::CityCode)
        .into_tuple()
        .all(db)
        .await?;
    let cities = cx.data::<crate::cities::Catalog>()?;
    let institutions_per_city = cities
        .all()
        .iter()
        .map(|c| CityCount {
            city_code: c.code.clone(),
            city_name: c.name.clone(),
            institutions: counted
                .iter()
                .find(|(code, _)| *code == c.code)
                .map_or(0, |(_, n)| *n as u64),
        })
        .collect();
    let published_courses = course::Entity::find()
        .filter(course::Column::Status.eq(CourseStatus::Published))
        .count(db)
        .await?;
    let overdue_course_updates = course::Entity::find()
        .filter(course::Column::UpdateDeadline.lt(today))
        .filter(course::Column::Status.ne(CourseStatus::Retired))
        .count(db)
        .await?;
    let open =
        crate::complaints::workflow::Status::OPEN.map(crate::complaints::workflow::Status::as_str);
    let open_complaints = complaint::Entity::find()
        .filter(complaint::Column::Status.is_in(open))
        .count(db)
        .await?;
    let overdue_complaints = complaint::Entity::find()
        .filter(crate::complaints::service::overdue_condition(now))
        .count(db)
        .await?;
    Ok(FilingReport {
        profile: load(db, &cx.svc.cipher).await?.value,
        policies_in_force: policies(db, None, today)
            .await?
            .into_iter()
            .filter(|p| p.in_force)
            .collect(),
        institutions_per_city,
        published_courses,
        overdue_course_updates,
        open_complaints,
        overdue_complaints,
        audit_chain: last_chain_check(db).await?,
        generated_at: now,
    })
}

/// The report as a workbook: the application form (申请表) as label and value rows, the
/// counts, and the institutions per city.
pub fn workbook(r: &FilingReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let f = &r.profile.fields;
    let text = |v: Option<&str>| v.unwrap_or("").to_owned();
    let team = f
        .complaint_team
        .iter()
        .map(|m| {
            format!(
                "{}（{}，{}）",
                m.name.as_str(),
                m.duty.as_str(),
                m.phone.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join("；");
    let form: Vec<(&str, String)> = vec![
        ("企业名称", text(f.company_name.as_deref())),
        ("统一社会信用代码", text(f.credit_code.as_deref())),
        ("注册地址", text(f.registered_address.as_deref())),
        ("办公地址", text(f.office_address.as_deref())),
        ("法定代表人", text(f.legal_representative.as_deref())),
        (
            "法定代表人电话",
            text(f.legal_representative_phone.as_deref()),
        ),
        ("联系人", text(f.contact_person.as_deref())),
        ("联系人电话", text(f.contact_phone.as_deref())),
        ("营业期限", text(f.business_term.as_deref())),
        ("平台网址", text(f.platform_url.as_deref())),
        ("平台简介", text(f.introduction.as_deref())),
        ("售后服务电话", text(f.hotline.as_deref())),
        ("售后服务邮箱", text(f.service_email.as_deref())),
        ("投诉处理团队", team),
    ];
    let sheet = book.add_worksheet();
    sheet.set_name("申请表")?;
    sheet.set_column_width(0, 20)?;
    sheet.set_column_width(1, 60)?;
    for (i, (label, value)) in form.iter().enumerate() {
        sheet.write_string_with_format(i as u32, 0, *label, &bold)?;
        sheet.write_string(i as u32, 1, value)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("承诺落实情况")?;
    sheet.set_column_width(0, 28)?;
    let chain = r.audit_chain.as_ref().map_or_else(
        || "未校验".to_owned(),
        |c| {
            format!(
                "{}（{}）",
                c.verified_at.to_rfc3339(),
                if c.ok { "完整" } else { "异常" }
            )
        },
    );
    let counts: Vec<(&str, String)> = vec![
        ("已发布课程数", r.published_courses.to_string()),
        ("逾期未更新课程数", r.overdue_course_updates.to_string()),
        ("未办结投诉数", r.open_complaints.to_string()),
        ("逾期投诉数", r.overdue_complaints.to_string()),
        ("审计日志最近校验", chain),
        ("报告生成时间", r.generated_at.to_rfc3339()),
    ];
    for (i, (label, value)) in counts.iter().enumerate() {
        sheet.write_string_with_format(i as u32, 0, *label, &bold)?;
        sheet.write_string(i as u32, 1, value)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("各市培训机构")?;
    for (col, name) in ["城市代码", "城市", "培训机构数"].iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (i, c) in r.institutions_per_city.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &c.city_code)?;
        sheet.write_string(row, 1, &c.city_name)?;
        sheet.write_number(row, 2, c.institutions as f64)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("管理制度")?;
    for (col, name) in ["制度", "版本", "标题", "生效日期"].iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (i, p) in r.policies_in_force.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, p.kind_name())?;
        sheet.write_number(row, 1, f64::from(p.version_number))?;
        sheet.write_string(row, 2, &p.title)?;
        sheet.write_string(row, 3, p.effective_on.to_string())?;
    }
    book.save_to_buffer()
}

impl Policy {
    /// The document's Chinese name.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            PolicyKind::OperationsMaintenance => "运维管理制度",
            PolicyKind::CourseReviewUpdate => "课程审核与更新制度",
            PolicyKind::EmergencyResponse => "应急处置制度",
            PolicyKind::InformationPublication => "信息采集与公布制度",
            PolicyKind::Backups => "数据备份制度",
            PolicyKind::AfterSales => "售后服务制度",
        }
    }
}
