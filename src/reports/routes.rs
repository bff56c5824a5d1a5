//! Report endpoints.
use actix_web::http::header;
use actix_web::{HttpResponse, get};

use super::catalogue;
use super::dto::*;
use crate::context::Cx;
use crate::error::AppResult;
use crate::http::extract::ValidQuery;
use crate::http::responses::*;
use crate::reference::Catalogue;

crate::policy!(/// Who reads the catalogue, within their scope.
    Readers = &[crate::auth::Role::ProvinceAdmin, crate::auth::Role::CityAdmin, crate::auth::Role::InstitutionAdmin, crate::auth::Role::PlatformOperator]);

crate::policy!(/// Who watches the face data held: the province and the platform's operators.
    FaceDataReaders = &[crate::auth::Role::ProvinceAdmin, crate::auth::Role::PlatformOperator]);

/// The face data held
///
/// How many learners' face data (a portrait, or a kept face capture) the platform holds now,
/// counted at the request, against the 100,000 people from which it must file (the same count
/// is `safetrain_face_data_subjects` in `/metrics`). For the province's regulators and the
/// platform's operators.
#[utoipa::path(
    tag = super::TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The count", body = FaceDataSummary),
        SignedInErrors,
    )
)]
#[get("/reports/face-data")]
pub async fn get_face_data(cx: Cx<FaceDataReaders>) -> AppResult<HttpResponse> {
    let held = crate::study::jobs::face_data_subjects(cx.db.get_ref()).await?;
    let threshold = crate::study::jobs::FACE_DATA_FILING_THRESHOLD;
    let summary = FaceDataSummary {
        learners_with_face_data: held,
        filing_threshold: threshold,
        filing_required: held >= threshold,
        counted_at: chrono::Utc::now(),
    };
    Ok(cx.reply(actix_web::http::StatusCode::OK, &summary))
}

/// The course catalogue
///
/// Every published course within the caller's scope (narrowed by `city` and
/// `institution_id`), with its hours, training categories, operation types, training types,
/// teachers and each teacher's profile, as a city bureau files it; in course id order. `json`
/// is an array of entries; `csv` (UTF-8 with a byte-order mark) and `xlsx` have one row per
/// course and teacher with the columns 城市代码, 培训机构, 统一社会信用代码, 课程编号,
/// 课程名称, 版本, 学时, 培训类别, 作业类别, 培训类型, 首次发布时间, 教师姓名, 职称,
/// 资质证书, 专长, 教师编号. The answer streams as the courses are read, with memory flat;
/// should the database fail midway, the body ends early (the transfer is cut, never a
/// shorter report that looks whole).
#[utoipa::path(
    tag = super::TAG,
    params(CatalogueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The catalogue", content(
            (Vec<CatalogueEntry> = "application/json"),
            (String = "text/csv"),
            (crate::http::upload::BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            headers(("Content-Disposition" = String, description = "`attachment; filename=…` for csv and xlsx"))),
        SignedInErrors,
    )
)]
#[get("/reports/course-catalogue")]
pub async fn get_course_catalogue(
    cx: Cx<Readers>,
    query: ValidQuery<CatalogueQuery>,
) -> AppResult<HttpResponse> {
    let q = query.0;
    let cond = catalogue::condition(&cx.actor, &q)?;
    let format = q.format.unwrap_or_default();
    let names = cx.data::<Catalogue>()?.into_inner();
    cx.audit.set_response(
        serde_json::json!({
            "report": "course-catalogue",
            "format": format,
            "city": q.city.as_ref().map(|c| c.as_str()),
            "institution_id": q.institution_id,
        })
        .to_string(),
    );
    let mut rx = catalogue::stream(cx.db.get_ref().clone(), names, cond, format);
    let body = futures_util::stream::poll_fn(move |c| rx.poll_recv(c));
    let mut res = HttpResponse::Ok();
    let stamp = chrono::Utc::now().format("%Y%m%d");
    match format {
        ReportFormat::Json => res.content_type("application/json"),
        ReportFormat::Csv => res.content_type("text/csv; charset=utf-8").insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"course-catalogue-{stamp}.csv\""),
        )),
        ReportFormat::Xlsx => res
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"course-catalogue-{stamp}.xlsx\""),
            )),
    };
    Ok(res.streaming(body))
}
