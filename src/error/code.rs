//! Every problem code the API answers, with its status and meaning: one table, rendered into
//! the contract's text, so a code cannot be answered without being documented.

macro_rules! codes {
    ($($variant:ident = ($code:literal, $status:literal, $meaning:literal),)*) => {
        /// A stable, machine-readable problem code (`Problem.code`); clients branch on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in the order of the table.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The HTTP status every answer with this code carries.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            /// What the code means, for the contract's text.
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }
        }
    };
}

codes! {
    ValidationFailed = ("validation_failed", 400, "a field, parameter or header breaks a rule; `errors[]` names each one"),
    MalformedBody = ("malformed_body", 400, "the body could not be read"),
    TokenMissing = ("token_missing", 401, "the operation needs a bearer token"),
    TokenMalformed = ("token_malformed", 401, "the Authorization header or the token is not a well-formed JWT"),
    TokenAlgorithm = ("token_algorithm", 401, "the token's algorithm is not accepted for its issuer or key"),
    TokenKid = ("token_kid", 401, "the token's key id is missing or unknown to the issuer's key set"),
    TokenSignature = ("token_signature", 401, "the signature does not verify"),
    TokenExpired = ("token_expired", 401, "the token has expired (60 s leeway)"),
    TokenNotYetValid = ("token_not_yet_valid", 401, "the token is not valid yet (nbf)"),
    TokenIssuer = ("token_issuer", 401, "the token's issuer is not trusted"),
    TokenAudience = ("token_audience", 401, "the token is not meant for this API"),
    TokenClaims = ("token_claims", 401, "a required claim is missing or malformed"),
    TokenRole = ("token_role", 401, "the identity service's role is not mapped to a role of this API"),
    TokenInvalid = ("token_invalid", 401, "the token cannot be verified"),
    SignedOut = ("signed_out", 401, "the token's sign-in has ended: signed out, signed in elsewhere (one sign-in at a time), or ended after a refresh token was reused"),
    LoginFailed = ("login_failed", 401, "the login or the password is wrong (which of them is not said)"),
    RefreshInvalid = ("refresh_invalid", 401, "the refresh token is unknown, expired, or its sign-in has ended"),
    RefreshReused = ("refresh_reused", 401, "a refresh token was used a second time: its sign-in is ended, every token of it refused"),
    RoleNotAllowed = ("role_not_allowed", 403, "the caller's role may not perform this operation"),
    CityOutOfScope = ("city_out_of_scope", 403, "a city admin acts within its own city only"),
    InstitutionOutOfScope = ("institution_out_of_scope", 403, "an institution admin acts for its own institution only"),
    NoStudyEvidence = ("no_study_evidence", 403, "a learner rates only a course version they have studied"),
    FaceConsentRequired = ("face_consent_required", 403, "a face-checked study session needs the learner's consent to face processing (POST /learners/{id}/consents)"),
    NotHandler = ("not_handler", 403, "the complaint is another party's to handle (the institution until it is escalated, then the city bureau; the platform's desk always), or the step is the other side's (the filer's or a handler's)"),
    NotAuthor = ("not_author", 403, "only the author of an announcement submits or edits it"),
    OwnApproval = ("own_approval", 403, "the author of an announcement never approves or returns its own"),
    NotThreadAuthor = ("not_thread_author", 403, "only the thread's author or the course's institution marks a reply as the accepted answer"),
    PasswordMismatch = ("password_mismatch", 403, "the current password sent is wrong"),
    NotFound = ("not_found", 404, "no such resource within the caller's scope (another tenant's objects and malformed ids too)"),
    NoPhoto = ("no_photo", 404, "the teacher exists but has no photo yet, or the face check has no capture (it was missed)"),
    NoFile = ("no_file", 404, "the courseware exists but has no file yet"),
    MethodNotAllowed = ("method_not_allowed", 405, "the path does not serve this method; `Allow` lists those it does"),
    RequestTimeout = ("request_timeout", 408, "the request body did not arrive within the configured time"),
    CreditCodeTaken = ("credit_code_taken", 409, "an institution with this credit code exists"),
    IllegalTransition = ("illegal_transition", 409, "the lifecycle does not allow this move"),
    InstitutionExited = ("institution_exited", 409, "an exited institution cannot be changed"),
    CourseUnderReview = ("course_under_review", 409, "the course's current version is under review; move it back to draft to change it"),
    CourseRetired = ("course_retired", 409, "a retired course cannot change"),
    AnnouncementNotEditable = ("announcement_not_editable", 409, "an announcement is edited only as a draft or once returned to its author; later moves keep the reviewed text"),
    ReviewIncomplete = ("review_incomplete", 409, "the move needs review items passed that are not; `detail` names them"),
    AutomaticCheckFailed = ("automatic_check_failed", 409, "a reviewer cannot pass an item the automatic video check failed"),
    HoursMismatch = ("hours_mismatch", 409, "the course's hours do not agree with its videos' durations; `detail` says by how much"),
    CoursewareIncomplete = ("courseware_incomplete", 409, "the course has no courseware, or a piece of it has no file yet"),
    ScreeningHit = ("screening_hit", 409, "a text of the filing contains prohibited terms; `errors[]` names each hit"),
    TrainingIncomplete = ("training_incomplete", 409, "the enrolment's hours, courses or quizzes are not done yet; `detail` says what remains"),
    SessionEnded = ("session_ended", 409, "the study session has ended; open a new one"),
    SessionSuspended = ("session_suspended", 409, "the study session is suspended for review after repeated failed face checks; an institution reviewer decides"),
    AlreadyEnrolled = ("already_enrolled", 409, "the learner has an active enrolment in this programme"),
    IdNumberTaken = ("id_number_taken", 409, "a learner with this identity number exists"),
    PhoneTaken = ("phone_taken", 409, "a learner with this phone number exists"),
    AlreadyRated = ("already_rated", 409, "the learner has rated this version of the course already"),
    TooManyAttachments = ("too_many_attachments", 409, "the complaint has as many attachments as it takes (`complaints.max_attachments`)"),
    ThreadNotOpen = ("thread_not_open", 409, "the thread (or the post) is held for moderation or hidden: it takes no replies, reports or answers"),
    NotAReply = ("not_a_reply", 409, "only a published reply of the thread is accepted as its answer (not the opening text, not a held or hidden reply)"),
    AlreadyReported = ("already_reported", 409, "the caller has reported this post already"),
    AlreadyDecided = ("already_decided", 409, "the flag, the held comment or the face check has been decided already"),
    ConcurrentChange = ("concurrent_change", 409, "the resource changed meanwhile; read it again and retry"),
    IdempotencyInProgress = ("idempotency_in_progress", 409, "a request with this Idempotency-Key is still being processed; retry"),
    FeedPositionAhead = ("feed_position_ahead", 409, "`after` names a feed position not handed out yet (the feed was restored from an older copy, or the position is wrong)"),
    EtagMismatch = ("etag_mismatch", 412, "If-Match names no current version of the resource"),
    PayloadTooLarge = ("payload_too_large", 413, "the body exceeds the size limit"),
    UnsupportedMediaType = ("unsupported_media_type", 415, "the body is not of a media type the operation takes"),
    RangeNotSatisfiable = ("range_not_satisfiable", 416, "the Range asked lies outside the file; `Content-Range` gives its size"),
    IdempotencyKeyReused = ("idempotency_key_reused", 422, "the Idempotency-Key was used with another request"),
    FileRejected = ("file_rejected", 422, "the uploaded file is not what its type says, is incomplete, or breaks the media policy; `detail` says which rule"),
    AccountLocked = ("account_locked", 423, "too many failed sign-ins: the account is locked for a while; see `Retry-After`"),
    IfMatchRequired = ("if_match_required", 428, "the update needs If-Match with the resource's ETag"),
    RateLimited = ("rate_limited", 429, "the caller exceeded its rate limit, or its client has too many connections open; see `Retry-After`"),
    PostingLimited = ("posting_limited", 429, "the caller posted as many threads and replies as `discussion.posts_per_window` allows in `discussion.window_minutes`; see `Retry-After`"),
    InternalError = ("internal_error", 500, "an unexpected error; the answer names no internals"),
    ServiceUnavailable = ("service_unavailable", 503, "the database or the file store is unreachable, or the server is stopping (see `Retry-After`); or a part the operation needs is not installed on the server (no `Retry-After`: `detail` names it)"),
}

/// The table of codes by status, as Markdown, for the contract's description.
pub fn markdown_table() -> String {
    let mut out = String::from("| status | codes |\n|---|---|\n");
    let mut statuses: Vec<u16> = Code::ALL.iter().map(|c| c.status()).collect();
    statuses.dedup();
    for status in statuses {
        let codes: Vec<String> = Code::ALL
            .iter()
            .filter(|c| c.status() == status)
            .map(|c| format!("`{}` ({})", c.as_str(), c.meaning()))
            .collect();
        out.push_str(&format!("| {status} | {} |\n", codes.join("; ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_grouped_by_status() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
        }
        let statuses: Vec<u16> = Code::ALL.iter().map(|c| c.status()).collect();
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(statuses, sorted, "keep the table in status order");
        assert!(markdown_table().contains("| 409 | `credit_code_taken`"));
    }
}
