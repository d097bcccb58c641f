"""OKX's block-trading errors (70xxx) of error-codes.md."""

from __future__ import annotations

from openrfq.domain.errors.base import OkxError

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
