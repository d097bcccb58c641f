"""OKX's REST errors outside block trading: the General, API and Trade (parameter) classes of error-codes.md."""

from __future__ import annotations

from openrfq.domain.errors.base import OkxError

# --- General class -----------------------------------------------------------------------------------------------


class OperationFailed(OkxError):
    code, http_status, template = "1", 200, "Operation failed."


class BulkPartiallySucceeded(OkxError):
    code, http_status, template = "2", 200, "Bulk operation partially succeeded."


class EmptyPostBody(OkxError):
    code, http_status, template = "50000", 400, "Body for POST request cannot be empty."


class ServiceUnavailable(OkxError):
    code, http_status, template = "50001", 503, "Service temporarily unavailable. Please try again later."


class JsonSyntaxError(OkxError):
    code, http_status, template = "50002", 400, "JSON syntax error"


class BodyTooLarge(OkxError):
    # Not in OKX's catalogue: OKX's gateway refuses large bodies before the API sees them.
    # We answer 413 with the JSON-syntax code so clients classify it as a bad request.
    code, http_status, template = "50002", 413, "Request body exceeds {limit} bytes"


class InvalidContentType(OkxError):
    code, http_status, template = "50006", 400, 'Invalid Content-Type. Please use "application/JSON".'


class RateLimitReached(OkxError):
    code, http_status, template = "50011", 429, "Too Many Requests"


class ParameterEmpty(OkxError):
    code, http_status, template = "50014", 400, "Parameter {param0} can not be empty."


class EitherParameterRequired(OkxError):
    code, http_status, template = "50015", 400, "Either parameter {param0} or {param1} is required"


class RequestExpired(OkxError):
    code, http_status, template = (
        "50036",
        200,
        "The expTime can't be earlier than the current system time. Please adjust the expTime and try again.",
    )


class FeatureUnavailable(OkxError):
    code, http_status, template = "50062", 200, "This feature is currently unavailable."


# --- API class ---------------------------------------------------------------------------------------------------


class EnvironmentMismatch(OkxError):
    # A demo key used without ``x-simulated-trading: 1``, or a live key with it (config: accounts.keys.environment).
    code, http_status, template = "50101", 401, "APIKey does not match current environment."


class TimestampExpired(OkxError):
    code, http_status, template = "50102", 401, "Timestamp request expired."


class AccessKeyMissing(OkxError):
    code, http_status, template = "50103", 401, 'Request header "OK-ACCESS-KEY" cannot be empty.'


class PassphraseMissing(OkxError):
    code, http_status, template = "50104", 401, 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.'


class PassphraseIncorrect(OkxError):
    code, http_status, template = "50105", 401, 'Request header "OK-ACCESS-PASSPHRASE" incorrect.'


class SignMissing(OkxError):
    code, http_status, template = "50106", 401, 'Request header "OK-ACCESS-SIGN" cannot be empty.'


class TimestampMissing(OkxError):
    code, http_status, template = "50107", 401, 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.'


class InvalidAccessKey(OkxError):
    code, http_status, template = "50111", 401, "Invalid OK-ACCESS-KEY."


class InvalidTimestamp(OkxError):
    code, http_status, template = "50112", 401, "Invalid OK-ACCESS-TIMESTAMP."


class InvalidSignature(OkxError):
    code, http_status, template = "50113", 401, "Invalid signature."


class InvalidRequestMethod(OkxError):
    code, http_status, template = "50115", 405, "Invalid request method."


class PermissionDenied(OkxError):
    code, http_status, template = "50120", 200, "This API key doesn't have permission to use this function"


# --- Trade class (parameters) ------------------------------------------------------------------------------------


class ParameterError(OkxError):
    code, http_status, template = "51000", 400, "Parameter {param0} error"


class OrderAmountExceeded(OkxError):
    code, http_status, template = "51005", 200, "Your order amount exceeds the max order amount."


class InstrumentNotFound(OkxError):
    code, http_status, template = "51001", 200, "Instrument ID, Instrument ID code or Spread ID doesn't exist."
