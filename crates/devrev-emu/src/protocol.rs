//! What the AirSync protocol allows, written from the protocol description
//! (DevRev's `@devrev/ts-adaas`) and not from the worker's code, so that
//! the emulator can catch the worker's mistakes instead of sharing them.

/// The reply event types that may answer `incoming` (an event type in either dialect: the
/// current `START_EXTRACTING_*` names or the older `EXTRACTION_*_START` ones).
pub fn allowed_replies(incoming: &str) -> &'static [&'static str] {
    match incoming {
        "START_EXTRACTING_EXTERNAL_SYNC_UNITS" | "EXTRACTION_EXTERNAL_SYNC_UNITS_START" => {
            &["EXTERNAL_SYNC_UNIT_EXTRACTION_DONE", "EXTERNAL_SYNC_UNIT_EXTRACTION_ERROR"]
        }
        "START_EXTRACTING_METADATA" | "EXTRACTION_METADATA_START" => &["METADATA_EXTRACTION_DONE", "METADATA_EXTRACTION_ERROR"],
        "START_EXTRACTING_DATA" | "CONTINUE_EXTRACTING_DATA" | "EXTRACTION_DATA_START" | "EXTRACTION_DATA_CONTINUE" => {
            &["DATA_EXTRACTION_DONE", "DATA_EXTRACTION_PROGRESS", "DATA_EXTRACTION_DELAYED", "DATA_EXTRACTION_ERROR"]
        }
        "START_EXTRACTING_ATTACHMENTS"
        | "CONTINUE_EXTRACTING_ATTACHMENTS"
        | "EXTRACTION_ATTACHMENTS_START"
        | "EXTRACTION_ATTACHMENTS_CONTINUE" => &[
            "ATTACHMENT_EXTRACTION_DONE",
            "ATTACHMENT_EXTRACTION_PROGRESS",
            "ATTACHMENT_EXTRACTION_DELAYED",
            "ATTACHMENT_EXTRACTION_ERROR",
        ],
        "START_DELETING_EXTRACTOR_STATE" | "EXTRACTION_DATA_DELETE" => &["EXTRACTOR_STATE_DELETION_DONE", "EXTRACTOR_STATE_DELETION_ERROR"],
        "START_DELETING_EXTRACTOR_ATTACHMENTS_STATE" | "EXTRACTION_ATTACHMENTS_DELETE" => {
            &["EXTRACTOR_ATTACHMENTS_STATE_DELETION_DONE", "EXTRACTOR_ATTACHMENTS_STATE_DELETION_ERROR"]
        }
        "START_LOADING_DATA" | "CONTINUE_LOADING_DATA" => &["DATA_LOADING_ERROR"],
        "START_LOADING_ATTACHMENTS" | "CONTINUE_LOADING_ATTACHMENTS" => &["ATTACHMENT_LOADING_ERROR"],
        // ts-adaas answers both DONE without running a worker (`getNoScriptEventType` in
        // spawn.helpers.ts): an extraction-only snap-in has no loader state to delete.
        "START_DELETING_LOADER_STATE" => &["LOADER_STATE_DELETION_DONE"],
        "START_DELETING_LOADER_ATTACHMENT_STATE" => &["LOADER_ATTACHMENT_STATE_DELETION_DONE"],
        _ => &["UNKNOWN_EVENT_TYPE"],
    }
}

#[cfg(test)]
mod tests {
    use super::allowed_replies;

    #[test]
    fn both_dialects_name_the_same_replies() {
        assert_eq!(allowed_replies("EXTRACTION_DATA_START"), allowed_replies("START_EXTRACTING_DATA"));
        assert_eq!(allowed_replies("EXTRACTION_DATA_DELETE"), allowed_replies("START_DELETING_EXTRACTOR_STATE"));
        assert!(allowed_replies("SOMETHING_ELSE").contains(&"UNKNOWN_EVENT_TYPE"));
        assert_eq!(allowed_replies("START_DELETING_LOADER_STATE"), ["LOADER_STATE_DELETION_DONE"]);
    }
}
