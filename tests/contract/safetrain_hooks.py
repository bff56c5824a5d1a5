"""Schemathesis hooks for ./fuzz (loaded through SCHEMATHESIS_HOOKS=safetrain_hooks).

No check is switched off. Two kinds of narrow accommodation, each where a JSON Schema cannot
say what the server rightly demands, and each printed when the run ends:

1. Test data (map_case): the body of an upload (a photo, a courseware file) in POSITIVE cases
   is replaced with a real file of the declared type (the committed test fixtures): the
   contract can say "image/png" but not "a PNG file", and the server reads the file to check it.
   Also: a course's operation types are set to go with its categories (one when they include
   `special_operation`, none otherwise), a rule between two fields. And: a schema-valid credit code is 17 characters plus a GB 32100 check
   character, a mod-31 checksum that JSON Schema cannot express. In POSITIVE cases only, the
   generated 18th character is replaced with the right one, so the server can accept the
   body and the 201 answer (body, ETag, Location) gets checked. Negative cases are untouched.
   The same for a learner's identity number (GB 11643: a real date of birth in characters
   7-14 and a mod-11 check character) and its employer's credit code; a learner's operation
   type set to go with its category (the cross-field rule of courses); a password given a
   letter and a digit (its strength rule, which JSON Schema cannot state without lookaheads
   that generators do not take). The institution_admin's learners are registered at its own
   institution (SAFETRAIN_FUZZ_INSTITUTION), so its positive cases can be accepted; the body
   of a learner import is a real learner CSV (one row of fresh numbers).

2. Waivers (filter_failure), only for these exact answers. Of `missing_required_header`
   (ST203): 428 `if_match_required` when an update omits If-Match (RFC 6585 §3 made 428 for
   this; the check's list of statuses predates it). Of `positive_data_acceptance` (ST202):
   - 400 whose problem names no field but `cursor` (rule `format`): a cursor is an opaque,
     server-issued keyset token; a string the server never gave out cannot be accepted, and
     the schema cannot list the cursors that exist.
   - 412 `etag_mismatch` when the request's If-Match is a well-formed list of entity tags
     (RFC 9110: `"…"` or `W/"…"`, comma-separated): optimistic concurrency rejects any tag
     that does not strongly match the current version, by design, and the schema cannot know
     the current version. `If-Match: *` (which matches) and malformed values (400) are NOT
     waived.
   - 400 whose only field is `credit_code` with rule `check_character`, where the test-data
     hook did not reach the case (stateful phase): the same checksum as in 1.
   - 422 `idempotency_key_reused` on a create when the request carries a
     well-formed Idempotency-Key (1-200 visible ASCII characters): generated keys repeat
     ("0", "a", ...) with other bodies, and answering 422 then is the documented contract;
     the schema cannot know which keys were used before.
   - 400 naming only `operation_types` (rules `required`/`not_allowed`) on a course create or
     update: the cross-field rule of 1, where the hook could not set it (an update's other
     field is the stored one; the stateful phase bypasses map_case).
   - 400 naming only `teacher_ids` (rule `unknown_teacher`), `regulation_ids`
     (`unknown_regulation`), `institution_id` (`unknown_institution`), `learner_id`
     (`unknown_learner`), `course_ids` (`unknown_course`) or `programme_code`
     (`unknown_programme`): a well-formed id or code that names no such resource of the
     caller's; the schema can say "a UUID", not "one of your teachers". And of an enrolment,
     `programme_code` (`not_for_learner`) and `course_ids` (`not_for_programme`,
     `too_few_hours`): whether a programme fits a learner, and courses the programme, depends
     on the resources the ids name. And a ledger correction of `seconds` 0 (`not_zero`): a
     correction adds or takes away time; JSON Schema 2020-12 could say `not: {const: 0}`, which
     the generator used does not take. And of a complaint, `target_id` (`not_found`: no such
     target, or not the filer's own session or certificate; `required`/`not_allowed`: an id
     for every target but the platform), `kind` (`appeal_target`: an appeal is a signed-in
     learner's about its own session or certificate) and `contact_phone` (`required`: a phone
     or an e-mail address, one of two fields): rules between fields and the resources named.
     And of an announcement, `city_code` (`not_allowed`): platform operators publish
     platform-wide, a rule between the caller's role and the body.
   - 422 `file_rejected` on an upload whose body is not one of the real files of 1 (bytes
     made up in a phase that bypasses map_case).
   - 400 naming only a learner's `id_number` (rules `check_character`, `birth_date`),
     `employer_credit_code` (`check_character`), `operation_type` (`required`,
     `not_allowed`) or a password (`strength`), where the hook of 1 could not reach the case.
   - 400 naming only the `header` (rule `columns`) or an empty `body` (`min_rows`) of a
     learner import whose text the fuzzer made up where the hook of 1 did not reach it.
   - 415 on a courseware upload of a documented type that this courseware's kind does not
     take (a PDF for a video).
   Of `negative_data_rejection` (ST201): 200 on an upload whose body, as sent, is one of the
   real files of 1 (the check judged the generated body it replaced).
   Of `use_after_free`-like ST302 (created resource not found): 404 `no_photo` for the photo
   of a teacher just created (without one); a missing teacher answers `not_found` and fails.
   Any other field in the same 400, any other status or code still fails.
"""

from __future__ import annotations

import atexit
import json
import os
import re
from collections import Counter
from pathlib import Path

import schemathesis
from schemathesis import GenerationMode

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_BODY = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}$")
# A list of entity tags (RFC 9110), as the If-Match pattern of the spec allows, without `*`
# (which matches). Any tag that does not strongly match the current version is stale: 412.
ENTITY_TAGS = re.compile(r'^(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*$')
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")

WAIVED: Counter[str] = Counter()
FIXED: Counter[str] = Counter()


def _report() -> None:
    for what, n in sorted(FIXED.items()):
        print(f"safetrain hooks: test data: {what}: {n} case(s)")
    for what, n in sorted(WAIVED.items()):
        print(f"safetrain hooks: waived (by design, see safetrain_hooks.py): {what}: {n} failure(s)")


atexit.register(_report)


ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def fix_id_number(value: str) -> str:
    """A schema-valid identity number with a real birth date and the right check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return value
    year = int(value[6:10])
    year = year if 1900 <= year <= 2010 else 1900 + year % 110
    month = int(value[10:12]) % 12 + 1
    day = int(value[12:14]) % 28 + 1
    first17 = f"{value[:6]}{year:04d}{month:02d}{day:02d}{value[14:17]}"
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def _role_is_institution_admin(case) -> bool:
    """Whether the run is the institution_admin's (its token names the institution)."""
    return os.environ.get("SAFETRAIN_FUZZ_ROLE") == "institution_admin"


CSV_ROWS = iter(range(10**6))


def learner_csv() -> str:
    """A learner CSV with one row of fresh identity and phone numbers."""
    n = next(CSV_ROWS)
    first17 = f"44010119850101{n % 1000:03d}"
    id_number = fix_id_number(first17 + "0")
    phone = f"136{os.getpid() % 10000:04d}{n % 10000:04d}"
    return (
        "name,id_number,phone,employer_name,employer_credit_code,industry,city_code,"
        "training_category,operation_type,training_type,password\r\n"
        f"测试{n},{id_number},{phone},某公司,91440101MA59UFRF1R,general,440100,"
        "principal_person,,initial,\r\n"
    )


def fix_password(value: str) -> str:
    if any(c.isalpha() for c in value) and any(c in "0123456789" for c in value):
        return value
    return (value[:-2] if len(value) > 126 else value) + "a1"


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def _body_is_positive(case) -> bool:
    """A positive case none of whose parts is negative (the coverage phase mixes a negative
    part into cases whose overall mode reads positive)."""
    meta = getattr(case, "meta", None)
    components = (getattr(meta, "components", None) or {}).values()
    return _is_positive(case) and all(getattr(c, "mode", None) != GenerationMode.NEGATIVE for c in components)


def _is_positive(case) -> bool:
    """Positive cases, and those of the stateful phase, which are built from the schema as
    valid data and carry no generation mode."""
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    return generation is None or generation.mode == GenerationMode.POSITIVE


# Real files for the uploads, by media type (the committed test fixtures, a minimal PDF and quiz).
FIXTURES = Path(__file__).resolve().parent.parent / "api" / "fixtures"
FILES = {
    "image/jpeg": (FIXTURES / "teacher.jpg").read_bytes(),
    "image/png": (FIXTURES / "teacher.png").read_bytes(),
    "video/mp4": (FIXTURES / "lecture-720p.mp4").read_bytes(),
    "application/pdf": b"%PDF-1.7\n1 0 obj\nendobj\n%%EOF\n",
    "application/json": json.dumps({"questions": [
        {"id": "q1", "kind": "single", "text": "低压是多少伏以下？", "options": ["1000V", "220V"], "answer": [0]}
    ]}).encode(),
}
UPLOADS = ("put_teacher_photo", "upload_courseware_file", "put_portrait", "face_check", "attach_to_complaint",
           "track_attach_to_complaint")


@schemathesis.hook
def map_case(context, case):
    op_id = case.operation.definition.raw.get("operationId")
    if op_id in ("create_course", "update_course"):
        body = case.body
        if _body_is_positive(case) and isinstance(body, dict):
            categories, ops = body.get("training_categories"), body.get("operation_types")
            if isinstance(categories, list) and isinstance(ops, list):
                special = "special_operation" in categories
                if special and not ops:
                    case.body = {**body, "operation_types": ["0102"]}
                    FIXED[f"{op_id}: an operation type for a special-operation course"] += 1
                elif not special and ops:
                    case.body = {**body, "operation_types": []}
                    FIXED[f"{op_id}: no operation types for a course of another category"] += 1
        return case
    if op_id in ("create_learner", "update_learner", "change_password"):
        body = case.body
        if _body_is_positive(case) and isinstance(body, dict):
            fixed = dict(body)
            own = os.environ.get("SAFETRAIN_FUZZ_INSTITUTION")
            if op_id == "create_learner" and own and "institution_id" in body and _role_is_institution_admin(case):
                fixed["institution_id"] = own
            if isinstance(body.get("id_number"), str):
                fixed["id_number"] = fix_id_number(body["id_number"])
            code = body.get("employer_credit_code")
            if isinstance(code, str) and len(code) == 18 and CREDIT_BODY.match(code[:17]):
                fixed["employer_credit_code"] = code[:17] + credit_check_character(code[:17])
            for key in ("password", "new_password"):
                if isinstance(body.get(key), str):
                    fixed[key] = fix_password(body[key])
            category = body.get("training_category")
            if "operation_type" in body and isinstance(category, str):
                special = category == "special_operation"
                if special and body["operation_type"] is None:
                    fixed["operation_type"] = "0102"
                elif not special and body["operation_type"] is not None:
                    fixed["operation_type"] = None
            if fixed != body:
                case.body = fixed
                FIXED[f"{op_id}: identity number, credit code, operation type or password made to fit its rule"] += 1
        return case
    if op_id == "import_learners":
        if _body_is_positive(case):
            case.body = learner_csv()
            own = os.environ.get("SAFETRAIN_FUZZ_INSTITUTION")
            if own and _role_is_institution_admin(case) and isinstance(case.query, dict):
                case.query = {**case.query, "institution_id": own}
            FIXED[f"{op_id}: body set to a CSV file of learners"] += 1
        return case
    if op_id in UPLOADS:
        file = FILES.get(getattr(case, "media_type", None) or "")
        if _body_is_positive(case) and file is not None:
            case.body = file
            FIXED[f"{op_id}: body set to a real file of the declared type"] += 1
        return case
    if op_id != "create_institution":
        return case
    body = case.body
    if not _is_positive(case) or not isinstance(body, dict):
        return case
    code = body.get("credit_code")
    if isinstance(code, str) and len(code) == 18 and CREDIT_BODY.match(code[:17]):
        fixed = code[:17] + credit_check_character(code[:17])
        if fixed != code:
            case.body = {**body, "credit_code": fixed}
            FIXED["create_institution: GB 32100 check character of credit_code set"] += 1
    return case


def _problem(response) -> dict:
    try:
        doc = json.loads(response.text or "null")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _header(case, name: str):
    for key, value in (case.headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Return False to drop a failure. Only the answers described in the module doc."""
    code = getattr(failure, "code", None)
    if response is None or code not in ("ST201", "ST202", "ST203", "ST302"):
        return True
    problem = _problem(response)
    op_id = case.operation.definition.raw.get("operationId")

    if code == "ST201":
        # The body the check judged negative was replaced (by map_case, in an earlier phase
        # whose case the stateful phase reuses) with one of the real files of 1: what was sent
        # is a valid file, and accepting it is right. Any other body still fails.
        if op_id in UPLOADS and response.status_code == 200 and case.body in FILES.values():
            WAIVED[f"{op_id}: 200 for a real file that replaced a generated body"] += 1
            return False
        return True

    if code == "ST302":
        # A teacher is created without a photo; its photo is a sub-resource that exists once
        # uploaded. The teacher itself is found (the answer says `no_photo`, not `not_found`).
        if op_id == "get_teacher_photo" and response.status_code == 404 and problem.get("code") == "no_photo":
            WAIVED[f"{op_id}: 404 no_photo for a teacher created without a photo"] += 1
            return False
        return True

    if code == "ST203":
        # RFC 6585 §3 defines 428 Precondition Required for exactly this: an update sent
        # without the If-Match it must carry. Schemathesis' list (400, 401, 403, 406, 415,
        # 422) predates it.
        if (
            response.status_code == 428
            and problem.get("code") == "if_match_required"
            and _header(case, "If-Match") is None
        ):
            WAIVED[f"{op_id}: 428 (RFC 6585) for a missing If-Match"] += 1
            return False
        return True

    errors = problem.get("errors")
    if (
        response.status_code == 400
        and problem.get("code") == "validation_failed"
        and isinstance(errors, list)
        and errors
        and all(isinstance(e, dict) and e.get("field") == "cursor" and e.get("rule") == "format" for e in errors)
        and "cursor" in (case.query or {})
    ):
        WAIVED[f"{op_id}: 400 for a cursor the server never issued"] += 1
        return False

    if (
        response.status_code == 400
        and problem.get("code") == "validation_failed"
        and isinstance(errors, list)
        and errors
        and all(
            isinstance(e, dict) and e.get("field") == "credit_code" and e.get("rule") == "check_character"
            for e in errors
        )
    ):
        # Where the test-data hook could not set the check character (a case the stateful
        # phase built without passing it through map_case): a mod-31 checksum no schema can state.
        WAIVED[f"{op_id}: 400 for a credit code with a wrong GB 32100 check character"] += 1
        return False

    if_match = _header(case, "If-Match")
    if (
        response.status_code == 412
        and problem.get("code") == "etag_mismatch"
        and isinstance(if_match, str)
        and ENTITY_TAGS.match(if_match.strip())
    ):
        WAIVED[f"{op_id}: 412 for a well-formed but stale If-Match"] += 1
        return False

    if (
        response.status_code == 400
        and problem.get("code") == "validation_failed"
        and isinstance(errors, list)
        and errors
        and all(
            isinstance(e, dict)
            and (e.get("field"), e.get("rule"))
            in (
                ("teacher_ids", "unknown_teacher"),
                ("institution_id", "unknown_institution"),
                ("regulation_ids", "unknown_regulation"),
                ("learner_id", "unknown_learner"),
                ("course_ids", "unknown_course"),
                ("programme_code", "unknown_programme"),
                ("programme_code", "not_for_learner"),
                ("course_ids", "not_for_programme"),
                ("course_ids", "too_few_hours"),
                ("seconds", "not_zero"),
                ("target_id", "not_found"),
                ("target_id", "required"),
                ("target_id", "not_allowed"),
                ("kind", "appeal_target"),
                ("contact_phone", "required"),
                ("city_code", "not_allowed"),
            )
            for e in errors
        )
    ):
        # A well-formed id of a teacher (or institution) that does not exist, or is another
        # institution's: the schema can say "a UUID", not "the id of one of your teachers".
        WAIVED[f"{op_id}: 400 for an id that names no resource of the caller's"] += 1
        return False

    if (
        op_id in ("create_course", "update_course")
        and response.status_code == 400
        and problem.get("code") == "validation_failed"
        and isinstance(errors, list)
        and errors
        and all(
            isinstance(e, dict) and e.get("field") == "operation_types" and e.get("rule") in ("required", "not_allowed")
            for e in errors
        )
    ):
        # Operation types go with the special-operation category and only with it: a rule
        # between two fields (an update's other field may be the stored one) that the test-data
        # hook cannot always set.
        WAIVED[f"{op_id}: 400 for operation types that do not go with the categories"] += 1
        return False

    if (
        op_id in ("create_learner", "update_learner", "change_password")
        and response.status_code == 400
        and problem.get("code") == "validation_failed"
        and isinstance(errors, list)
        and errors
        and all(
            isinstance(e, dict)
            and (e.get("field"), e.get("rule"))
            in (
                ("id_number", "check_character"),
                ("id_number", "birth_date"),
                ("employer_credit_code", "check_character"),
                ("operation_type", "required"),
                ("operation_type", "not_allowed"),
                ("password", "strength"),
                ("new_password", "strength"),
            )
            for e in errors
        )
    ):
        # The checksums, the real date and the cross-field rule of 1, where the hook did not
        # reach the case (the stateful phase, or an update whose other field is the stored one).
        WAIVED[f"{op_id}: 400 for a learner value whose checksum, date or pairing no schema states"] += 1
        return False

    if (
        op_id == "import_learners"
        and response.status_code == 400
        and problem.get("code") == "validation_failed"
        and isinstance(errors, list)
        and errors
        and all(isinstance(e, dict) and (e.get("field"), e.get("rule")) in (("header", "columns"), ("body", "min_rows")) for e in errors)
    ):
        # Text the fuzzer made up (in a phase that bypasses map_case) is not a learner CSV:
        # the contract can say "text/csv", not which columns.
        WAIVED[f"{op_id}: 400 for generated text that is not a learner CSV"] += 1
        return False

    if (
        op_id in UPLOADS
        and response.status_code == 422
        and problem.get("code") == "file_rejected"
        and case.body not in FILES.values()
    ):
        # Bytes the fuzzer made up (in a phase that bypasses map_case) are not a file of their
        # type: the contract can say "image/png" but not "a PNG file".
        WAIVED[f"{op_id}: 422 for generated bytes that are not a file of their type"] += 1
        return False

    if (
        op_id == "upload_courseware_file"
        and response.status_code == 415
        and problem.get("code") == "unsupported_media_type"
        and (_header(case, "Content-Type") or "").split(";")[0].strip() in FILES
    ):
        # A documented type that the courseware's kind does not take (a PDF for a video): the
        # type depends on the resource, which the contract states in words only.
        WAIVED[f"{op_id}: 415 for a documented type another kind of courseware takes"] += 1
        return False

    key = _header(case, "Idempotency-Key")
    if (
        response.status_code == 422
        and problem.get("code") == "idempotency_key_reused"
        and isinstance(key, str)
        and IDEMPOTENCY_KEY.match(key)
    ):
        WAIVED[f"{op_id}: 422 for an Idempotency-Key used before with another body"] += 1
        return False
    return True
