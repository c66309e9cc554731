//! Ready-made requests for the platform's most common calls, so callers need not
//! spell out every field the document marks required.

use crate::generated::{
    AccountType, CallMode, CascadeMode, ConfType, CreateType, DualMode, EncryptedType, McCreateConfRequest, MtSpec, Protocol, VideoFormat,
    VideoFormatSpec, VideoResolution,
};

impl McCreateConfRequest {
    /// An instant conference (`create_type` 1): 60 minutes, 2048 kbps, H.264 720p30,
    /// no encryption, automatic calling (3 tries, 20 s apart), speaker-only content
    /// sharing, simple cascading and up to 192 terminals. Chain setters to change any field.
    pub fn instant(name: impl Into<String>) -> Self {
        let video = VideoFormatSpec { format: VideoFormat::H264Hp, resolution: VideoResolution::P720, frame: 30, bitrate: 2048 };
        Self::new(
            name,
            60,
            2048,
            0,
            0,
            EncryptedType::None,
            ConfType::Traditional,
            CallMode::Auto,
            3,
            20,
            0,
            0,
            1,
            "no-encryption",
            DualMode::Speaker,
            0,
            CascadeMode::Simple,
            1,
            0,
            0,
            0,
            192,
            0,
            0,
            0,
            vec![video],
        )
        .create_type(CreateType::Instant)
    }
}

impl MtSpec {
    /// A terminal dialled by its E.164 number over H.323 at 2048 kbps.
    pub fn e164(account: impl Into<String>) -> Self {
        Self { account_type: AccountType::E164, account: account.into(), bitrate: 2048, protocol: Protocol::H323, ..Self::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_conference_is_valid_and_instant() {
        let req = McCreateConfRequest::instant("weekly");
        assert_eq!(req.create_type, Some(CreateType::Instant));
        req.validate().unwrap();
        // The document asks nothing of the name but its characters and length: whitespace
        // is text (never trimmed), and what the platform accepts is the platform's to judge.
        McCreateConfRequest::instant("  ").validate().unwrap();
        assert_eq!(MtSpec::e164("2322231").account_type, AccountType::E164);
    }
}
