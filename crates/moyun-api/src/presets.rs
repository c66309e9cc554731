//! Ready-made requests for the platform's most common calls, so callers need not
//! spell out every field the document marks required.

use crate::generated::{
    AccountType, CallMode, CascadeMode, ConfSecurity, ConfType, CreateType, DualMode, EncryptedType, McCreateConfRequest,
    McCreateConfRequestBuilder, MtSpec, Protocol, VideoFormat, VideoFormatSpec, VideoQuality, VideoResolution,
};

impl<H> McCreateConfRequestBuilder<H> {
    /// Instant-conference defaults (`create_type` 1) for every required field but
    /// `name`: 60 minutes, 2048 kbps, H.264 720p30, no encryption (so no key is sent), automatic calling
    /// (3 tries, 20 s apart), speaker-only content sharing, simple cascading and up to
    /// 192 terminals. Chain setters after it to change any of them.
    pub fn instant(self) -> Self {
        let video = VideoFormatSpec { format: VideoFormat::H264Hp, resolution: VideoResolution::P720, frame: 30, bitrate: 2048 };
        self.create_type(CreateType::Instant)
            .duration(60)
            .bitrate(2048)
            .closed_conf(false)
            .safe_conf(ConfSecurity::Public)
            .encrypted_type(EncryptedType::None)
            .conf_type(ConfType::Traditional)
            .call_mode(CallMode::Auto)
            .call_times(3)
            .call_interval(20)
            .mute(false)
            .silence(false)
            .video_quality(VideoQuality::Speed)
            .dual_mode(DualMode::Speaker)
            .voice_activity_detection(false)
            .cascade_mode(CascadeMode::Simple)
            .cascade_upload(true)
            .cascade_return(false)
            .cascade_return_para(0)
            .public_conf(false)
            .max_join_mt(192)
            .auto_end(false)
            .preoccupy_resource(false)
            .one_reforming(false)
            .video_formats(vec![video])
    }
}

impl McCreateConfRequest {
    /// An instant conference named `name` (see [`McCreateConfRequestBuilder::instant`]):
    /// a value to change field by field or send with `client.mc().create_conf_with(..)`.
    pub fn instant(name: impl Into<String>) -> Self {
        Self::builder().instant().name(name).build().expect("the preset sets every required field")
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
        // The preset leaves only the name to set: a builder without it names it.
        let e = McCreateConfRequest::builder().instant().duration(90).build().unwrap_err();
        assert!(matches!(&e, conf_core::Error::InvalidInput { field, .. } if field == "name"), "{e}");
        assert_eq!(MtSpec::e164("2322231").account_type, AccountType::E164);
        // Unencrypted: no key at all (the key is required only when encrypting).
        let instant = McCreateConfRequest::instant("weekly");
        assert!(instant.encrypted_key.is_none());
        let e = McCreateConfRequest::builder()
            .instant()
            .name("n")
            .encrypted_type(EncryptedType::Aes)
            .build()
            .and_then(|r| r.validate())
            .unwrap_err();
        assert!(matches!(&e, conf_core::Error::InvalidInput { field, .. } if field == "encrypted_key"), "{e}");
        McCreateConfRequest::builder()
            .instant()
            .name("n")
            .encrypted_type(EncryptedType::Aes)
            .encrypted_key("k1")
            .build()
            .unwrap()
            .validate()
            .unwrap();
    }
}
