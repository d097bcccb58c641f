"""Every OKX error the venue answers, one class each, in OKX's own words.

A class carries the OKX ``code``, the ``http_status`` from error-codes.md and ``template``, the message with
``{name}`` placeholders filled from constructor keywords. Domain, auth and rate-limit code raise these; the
codec alone turns them into the ``{code,msg,data}`` envelope or an item's ``sCode``/``sMsg``.
``tests/domain/test_errors.py`` checks every class against OKX's table (tests/reference/okx/error-codes.md).
"""

from __future__ import annotations

from typing import ClassVar


class OkxError(Exception):
    code: ClassVar[str] = "50001"
    http_status: ClassVar[int] = 503
    template: ClassVar[str] = "Service temporarily unavailable. Please try again later."

    def __init__(self, **params: object) -> None:
        self.params = params
        self.msg = self.template.format(**params) if params else self.template
        super().__init__(f"{self.code}: {self.msg}")


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


# --- Block trading -----------------------------------------------------------------------------------------------


class RfqNotFound(OkxError):
    code, http_status, template = "70000", 200, "RFQ does not exist."


class QuoteNotFound(OkxError):
    code, http_status, template = "70001", 200, "Quote does not exist."


class InvalidInstrument(OkxError):
    code, http_status, template = "70004", 200, "Invalid instrument {instId}"


class TooManyLegs(OkxError):
    code, http_status, template = "70005", 200, "The number of legs in RFQ cannot exceed maximum value."


class UnknownInstFamily(OkxError):
    code, http_status, template = (
        "70007",
        200,
        "Underlying index {instFamily} does not exist under instType {instType}.",
    )


class MmpFrozen(OkxError):
    code, http_status, template = "70008", 200, "Operation failed under MMP status."


class NoValidElement(OkxError):
    code, http_status, template = "70009", 200, "Data must have at least 1 valid element."


class DuplicateInstTypeSetting(OkxError):
    code, http_status, template = "70011", 200, "Duplicate setting for instType {instType}."


class DuplicateInstSetting(OkxError):
    code, http_status, template = (
        "70012",
        200,
        "Duplicate setting for underlying/instId {instId} under the same instType {instType}.",
    )


class IncludeAllForAll(OkxError):
    code, http_status, template = "70014", 200, "It's not allowed to have includeAll=True for all the instType."


class NoInstTypeSetting(OkxError):
    code, http_status, template = "70016", 200, "Please specify your instrument settings for at least one instType."


class TimestampFormat(OkxError):
    code, http_status, template = (
        "70010",
        200,
        "Timestamp parameters need to be in Unix timestamp format in milliseconds.",
    )


class EndTsBeforeBeginTs(OkxError):
    code, http_status, template = "70013", 200, "endTs needs to be bigger than or equal to beginTs."


class DuplicateInstruments(OkxError):
    code, http_status, template = "70100", 200, "Duplicate instruments in legs array."


class DuplicateClRfqId(OkxError):
    code, http_status, template = "70101", 200, "Duplicate clRfqId"


class NoCounterparties(OkxError):
    code, http_status, template = "70102", 200, "No counterparties specified"


class InvalidCounterparty(OkxError):
    code, http_status, template = "70103", 200, "Invalid counterparty"


class BelowMinSize(OkxError):
    code, http_status, template = "70106", 200, "The trading amount does not meet the min tradable amount requirement"


class TooManyCounterparties(OkxError):
    code, http_status, template = "70107", 200, "The number of counterparties cannot exceed maximum value."


class CounterpartiesUnavailable(OkxError):
    code, http_status, template = "70109", 200, "Counterparties for selected instruments are currently unavailable."


class RfqNotCancelable(OkxError):
    code, http_status, template = "70200", 200, "The RFQ with {rfqState} status cannot be canceled"


class TooManyRfqsToCancel(OkxError):
    code, http_status, template = "70203", 200, "Cancellation failed as rfq count exceeds the limit {rfqLimit}."


class NoActiveRfqs(OkxError):
    code, http_status, template = "70207", 200, "Cancellation failed as you do not have any active RFQs."


class DuplicateClQuoteId(OkxError):
    code, http_status, template = "70301", 200, "Duplicate clQuoteId."


class RfqNotQuotable(OkxError):
    code, http_status, template = "70303", 200, "The RFQ with {rfqState} status cannot be quoted."


class PriceNotTickMultiple(OkxError):
    code, http_status, template = "70304", 200, "Price should be an integer multiple of the tick size."


class QuoteLegsMismatch(OkxError):
    code, http_status, template = "70306", 200, "The legs of quote do not match the legs of {rfqId}"


class SizeNotLotMultiple(OkxError):
    code, http_status, template = "70307", 200, "Size should be in integral multiples of the lot size."


class QuoteOwnRfq(OkxError):
    code, http_status, template = "70308", 200, "Quote to your own RFQ is not allowed."


class QuotePriceLimit(OkxError):
    code, http_status, template = "70310", 200, "Quoted price of instId {instId} cannot exceed your preset price limit."


class QuoteNotCancelable(OkxError):
    code, http_status, template = "70400", 200, "The Quote with {quoteState} status cannot be canceled"


class TooManyQuotesToCancel(OkxError):
    code, http_status, template = "70408", 200, "Cancellation failed as quote count exceeds the limit {quoteLimit}."


class NoActiveQuotes(OkxError):
    code, http_status, template = "70409", 200, "Cancellation failed as you do not have any active Quotes."


class RfqNotQuotedBy(OkxError):
    code, http_status, template = "70501", 200, "RFQ {rfqId} is not quoted by {quoteId}"


class ExecuteLegsMismatch(OkxError):
    code, http_status, template = "70502", 200, "The legs do not match the legs of {rfqId}"


class RfqNotExecutable(OkxError):
    code, http_status, template = "70504", 200, "Execution failed as the RFQ status is {rfqState}."


class QuoteNotExecutable(OkxError):
    code, http_status, template = "70505", 200, "Execution failed as the Quote status is {quoteState}."


class LegRatioMismatch(OkxError):
    code, http_status, template = "70506", 200, "Leg sizes specified do not have the same ratios as the whole RFQ."


class PartialExecutionNotAllowed(OkxError):
    code, http_status, template = (
        "70507",
        200,
        "Partial execution was attempted but allowPartialExecution of the RFQ is not enabled.",
    )


class CounterpartyError(OkxError):
    """An execution that failed at settlement (the control plane's ``settle_fail`` fault, asynchronous settlement):
    the trade's ``errorCode``."""

    code, http_status, template = "70509", 200, "Execution failed: counterparty error"


class AllocationExecutionFailed(OkxError):
    """Every allocated account's execution of a group RFQ failed: the parent trade's ``errorCode``."""

    code, http_status, template = "70510", 200, "For error details, refer to the acctAlloc field."


class ExecutionInProgress(OkxError):
    code, http_status, template = "70511", 200, "Execution is being processed"


class AllocationTotalMismatch(OkxError):
    code, http_status, template = (
        "70514",
        200,
        "For each symbol, the total size of RFQ legs in all accounts should be equal to its combined amount in the "
        "group RFQ.",
    )


class AllocationRatioMismatch(OkxError):
    code, http_status, template = (
        "70515",
        200,
        "For each sub-account, the ratio of a leg\u2019s size to the main account RFQ must be the same across all "
        "symbols.",
    )


class TooManyAllocatedAccounts(OkxError):
    code, http_status, template = "70516", 200, "You can only select up to {param0} sub-accounts for group RFQ."


class UnknownAllocatedAccount(OkxError):
    code, http_status, template = (
        "70517",
        200,
        "{param0} doesn't exist or you don\u2019t have permission to create group RFQ for it.",
    )


class DuplicateAllocatedAccount(OkxError):
    code, http_status, template = (
        "70518",
        200,
        "Make sure you didn\u2019t select the same account more than once for group RFQ.",
    )


# --- WebSocket (error events: a code and a message, no HTTP status) ---------------------------------------------


class WebSocketError(OkxError):
    """An ``error`` event on the WebSocket (error-codes.md, "WebSocket"). The connection stays open, unless
    ``close_code`` is set: then it is closed with that code once the event has been sent."""

    code, http_status, template = "60012", 0, "Invalid request"  # http_status: none, a WebSocket has no HTTP answer
    close_code: ClassVar[int | None] = None


class WsInvalidTimestamp(WebSocketError):
    code, template = "60004", "Invalid timestamp"


class WsInvalidApiKey(WebSocketError):
    code, template = "60005", "Invalid apiKey"


class WsTimestampExpired(WebSocketError):
    code, template = "60006", "Timestamp request expired"


class WsInvalidSign(WebSocketError):
    code, template = "60007", "Invalid sign"


class LoginRequired(WebSocketError):
    code, template = "60011", "Please log in"


class InvalidRequest(WebSocketError):
    """A message too large to be read as a request (its text is not echoed)."""

    code, template = "60012", "Invalid request"


class MalformedRequest(WebSocketError):
    """Not JSON, not an object, ``op`` or ``args`` missing or misspelled, a required ``instId`` missing: OKX
    echoes the request as it was sent."""

    code, template = "60012", "Invalid request: {request}"


class InvalidArgs(WebSocketError):
    code, template = "60013", "Invalid args"


class TooManyArgs(WebSocketError):
    """More args in one request than ``limits.WS_MAX_ARGS``: refused, and the connection closed (OKX's 4008)."""

    code, template = "60013", "Invalid args"
    close_code = 4008


class RequestsTooFrequent(WebSocketError):
    """Over the per-connection request limit, or a login refused after too many failures."""

    code, template = "60014", "Requests too frequent"


class ChannelNotFound(WebSocketError):
    code, template = (
        "60018",
        "Wrong URL or channel:{channel},instId:{instId} doesn't exist. "
        "Please use the correct URL, channel and parameters referring to API document.",
    )


class InvalidOp(WebSocketError):
    code, template = "60019", "Invalid op: {op}"


class WsWrongPassphrase(WebSocketError):
    code, template = "60024", "Wrong passphrase"


class WsParameterEmpty(WebSocketError):
    code, template = "60027", "Parameter {param0} can not be empty."


class RepeatedLogin(WebSocketError):
    code, template = "60031", "The WebSocket endpoint does not allow multiple or repeated logins."


class LoginInternalError(WebSocketError):
    """An unexpected failure (a bug) while serving a login."""

    code, template = "63999", "Login failed due to internal error. Please try again later."


class WsInternalError(WebSocketError):
    """An unexpected failure (a bug) while serving any other request."""

    code, template = "64007", "Operation {op} failed due to WebSocket internal error. Please try again later."


# --- openrfq's control plane (/openrfq/v1; not OKX: docs/compatibility.md) --------------------------------------


class ControlError(OkxError):
    """A refusal of the control plane: codes 9xxxx, which OKX does not use, with an HTTP 4xx."""

    code, http_status, template = "90000", 400, "{problem}"


class AdminTokenRefused(ControlError):
    code, http_status, template = (
        "90001",
        401,
        "Missing or wrong admin token: send the header 'Authorization: Bearer <token>' with the venue's token.",
    )


class ControlNotFound(ControlError):
    code, http_status, template = "90002", 404, "Not Found: {path}"


class ControlBadRequest(ControlError):
    code, http_status, template = "90003", 400, "{problem}"


class ControlConflict(ControlError):
    code, http_status, template = "90004", 409, "{problem}"
