//! Local sign-ins of learners: each is the `sid` of the access tokens issued for it, and a
//! family of rotating refresh tokens. An ended sign-in's access tokens are refused at once,
//! however long they would still be valid (no concurrent logins, logout, a reused refresh
//! token).
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

pub mod sign_in {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "learner_sign_ins")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub learner_id: Uuid,
        pub started_at: ChronoDateTimeUtc,
        pub client_ip: String,
        pub ended_at: Option<ChronoDateTimeUtc>,
        /// logout | replaced | refresh_reused | password_changed
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "learner_refresh_tokens")]
    pub struct Model {
        /// SHA-256 of the token, hex.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub sign_in_id: Uuid,
        pub issued_at: ChronoDateTimeUtc,
        pub expires_at: ChronoDateTimeUtc,
        pub spent_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// True while sign-in `sid` of learner `subject` has not ended.
pub async fn is_active<C: ConnectionTrait>(
    db: &C,
    sid: Uuid,
    subject: &str,
) -> Result<bool, DbErr> {
    let Ok(learner) = Uuid::parse_str(subject) else {
        return Ok(false);
    };
    let found: Option<Uuid> = sign_in::Entity::find_by_id(sid)
        .filter(sign_in::Column::LearnerId.eq(learner))
        .filter(sign_in::Column::EndedAt.is_null())
        .select_only()
        .column(sign_in::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Ends every open sign-in of `learner` (but `keep`), for `reason`; answers how many.
pub async fn end_all<C: ConnectionTrait>(
    db: &C,
    learner: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut q = sign_in::Entity::update_many()
        .col_expr(sign_in::Column::EndedAt, Expr::value(crate::db::now()))
        .col_expr(sign_in::Column::EndReason, Expr::value(reason))
        .filter(sign_in::Column::LearnerId.eq(learner))
        .filter(sign_in::Column::EndedAt.is_null());
    if let Some(keep) = keep {
        q = q.filter(sign_in::Column::Id.ne(keep));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// Ends sign-in `sid` for `reason`; false when it had ended already.
pub async fn end<C: ConnectionTrait>(db: &C, sid: Uuid, reason: &str) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let res = sign_in::Entity::update_many()
        .col_expr(sign_in::Column::EndedAt, Expr::value(crate::db::now()))
        .col_expr(sign_in::Column::EndReason, Expr::value(reason))
        .filter(sign_in::Column::Id.eq(sid))
        .filter(sign_in::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
