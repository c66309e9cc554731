//! The live participant list, kept from participant events.

use std::collections::BTreeMap;

use crate::events::Event;
use crate::generated::Participant;

/// The room's participants as the event stream describes them.
///
/// `participant_sync_begin` clears the list (every (re)connection resends the whole
/// roster), `participant_create` / `participant_update` insert or replace (an update for
/// an unknown uuid counts as a create: enterprise nodes send no `participant_create`),
/// `participant_delete` removes. After `participant_sync_end` the list equals the node's.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    participants: BTreeMap<String, Participant>,
    syncing: bool,
    synced: bool,
}

impl Roster {
    /// An empty roster.
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply one event; returns whether the participant list changed.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::ParticipantSyncBegin => {
                self.syncing = true;
                self.synced = false;
                let changed = !self.participants.is_empty();
                self.participants.clear();
                changed
            }
            Event::ParticipantSyncEnd => {
                self.syncing = false;
                self.synced = true;
                false
            }
            Event::ParticipantCreate(p) | Event::ParticipantUpdate(p) => {
                if p.uuid.is_empty() {
                    return false;
                }
                self.participants.insert(p.uuid.clone(), p.clone()) != Some(p.clone())
            }
            Event::ParticipantDelete { uuid } => self.participants.remove(uuid).is_some(),
            _ => false,
        }
    }

    /// Whether a sync bracket is in progress (the list is incomplete).
    pub fn is_syncing(&self) -> bool {
        self.syncing
    }

    /// Whether a complete sync bracket has been seen and none is in progress.
    pub fn is_synced(&self) -> bool {
        self.synced && !self.syncing
    }

    /// A participant by uuid.
    pub fn get(&self, uuid: &str) -> Option<&Participant> {
        self.participants.get(uuid)
    }

    /// Participants, ordered by uuid.
    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.participants.values()
    }

    /// Uuids, sorted.
    pub fn uuids(&self) -> Vec<String> {
        self.participants.keys().cloned().collect()
    }

    /// Number of participants.
    pub fn len(&self) -> usize {
        self.participants.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(uuid: &str, muted: bool) -> Participant {
        Participant { uuid: uuid.into(), is_muted: Some(muted), ..Participant::default() }
    }

    #[test]
    fn sync_create_update_delete_resync() {
        let mut r = Roster::new();
        r.apply(&Event::ParticipantSyncBegin);
        r.apply(&Event::ParticipantCreate(p("a", false)));
        r.apply(&Event::ParticipantCreate(p("b", false)));
        assert!(r.is_syncing());
        r.apply(&Event::ParticipantSyncEnd);
        assert!(r.is_synced());
        assert!(r.apply(&Event::ParticipantUpdate(p("a", true))));
        assert!(!r.apply(&Event::ParticipantUpdate(p("a", true))));
        assert!(r.apply(&Event::ParticipantUpdate(p("c", false))));
        assert!(r.apply(&Event::ParticipantDelete { uuid: "b".into() }));
        assert_eq!(r.uuids(), ["a", "c"]);
        assert_eq!(r.get("a").unwrap().is_muted, Some(true));
        // Reconnect: the node resends its list; anything missed is gone.
        r.apply(&Event::ParticipantSyncBegin);
        assert!(r.is_empty());
        r.apply(&Event::ParticipantCreate(p("c", false)));
        r.apply(&Event::ParticipantSyncEnd);
        assert_eq!(r.uuids(), ["c"]);
    }
}
