//! The emulator's data: meetings, the document library, login log and recordings.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// A booked meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    /// Meeting number.
    pub serial: u64,
    /// Name (`meetingname`).
    pub name: String,
    /// Start, Unix seconds.
    pub start: i64,
    /// End, Unix seconds (`None`: permanent).
    pub end: Option<i64>,
    /// Chairman password.
    pub chairman_pwd: String,
    /// Live streamed (`islive=1`).
    pub live: bool,
    /// Media-server room id.
    pub roomid: String,
    /// Ids of the bound documents, in binding order.
    pub files: Vec<String>,
    /// The uploaded background.
    pub background: Option<Background>,
    /// How many times it was modified.
    pub modifications: u32,
}

/// An uploaded meeting background (`uploadRoomPic`).
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// File name of the part.
    pub filename: String,
    /// Content type of the part.
    pub content_type: String,
    /// The bytes.
    pub bytes: Bytes,
    /// The path answered as `picPath`.
    pub pic_path: String,
}

/// A document of the company's library, bindable to meetings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// File id.
    pub fileid: String,
    /// File name.
    pub filename: String,
}

impl Document {
    /// Extension, as `filetype`.
    pub fn filetype(&self) -> String {
        self.filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
    }

    /// The `downloadpath` answered.
    pub fn downloadpath(&self) -> String {
        format!("/upload/doc_{}.{}", self.fileid, self.filetype())
    }
}

/// One entry of the login log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginEntry {
    /// Meeting number.
    pub serial: String,
    /// User id.
    pub userid: String,
    /// `YYYY-MM-DD hh:mm:ss` (UTC+8).
    pub entertime: String,
    /// `YYYY-MM-DD hh:mm:ss` (UTC+8), empty while the user is in.
    pub leavetime: String,
}

/// A recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Record id.
    pub id: u64,
    /// Meeting number.
    pub serial: String,
    /// The user it belongs to.
    pub userid: String,
    /// Seconds.
    pub duration: u64,
    /// Path on the recording server.
    pub filepath: String,
    /// `YYYY-MM-DD hh:mm:ss` (UTC+8).
    pub createtime: String,
}

/// Everything the emulator knows.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pub(crate) meetings: BTreeMap<String, Meeting>,
    pub(crate) documents: BTreeMap<String, Document>,
    pub(crate) logins: Vec<LoginEntry>,
    pub(crate) records: Vec<Record>,
    pub(crate) next_serial: u64,
    pub(crate) next_record: u64,
    pub(crate) next_pic: u64,
    pub(crate) version: u64,
    pub(crate) durations: BTreeMap<String, i64>,
}

/// Now, in Unix seconds.
pub(crate) fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DD hh:mm:ss` in China Standard Time (UTC+8), as the server writes times.
#[allow(clippy::many_single_char_names)]
pub fn cst_datetime(unix: i64) -> String {
    let t = unix + 8 * 3600;
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cst_formatting() {
        assert_eq!(cst_datetime(0), "1970-01-01 08:00:00");
        assert_eq!(cst_datetime(1_429_242_959), "2015-04-17 11:55:59");
        assert_eq!(cst_datetime(1_709_164_800), "2024-02-29 08:00:00");
    }
}
