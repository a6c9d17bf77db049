//! What an app reports: activity events (the types of the activity contract's table, each with
//! its fields checked), and what podium answers about them — outcomes, per-user results, the
//! categories points fall into. An [`Event`] is only built by [`Event::parse`], so the rules
//! never see a game with one player or a DM without a recipient.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::{FieldCode, FieldErrors};

/// A hash map keyed by app-given ids, for the counts the rules and rankings keep per user:
/// foldhash's seeded hasher instead of std's SipHash, which cost several per cent of the
/// writer's time on these short keys (BENCHMARKS.md). Its seed is random per process, so keys
/// chosen to collide cannot be prepared ahead.
pub type KeyMap<K, V> = std::collections::HashMap<K, V, foldhash::quality::RandomState>;
/// A hash set of the same kind as [`KeyMap`].
pub type KeySet<K> = std::collections::HashSet<K, foldhash::quality::RandomState>;

/// Longest app-given id (user, room, event).
pub const MAX_KEY: usize = 128;

/// An app-given identifier (a user, a room, an event): 1–128 characters, no control
/// characters, compared exactly. Shared text: the rules keep a user's id in many counts,
/// moves and rows, and a clone is a reference count, not a copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(std::sync::Arc<str>);

impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Key {
    /// Checks an app-given id.
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        if s.is_empty() {
            return Err(FieldCode::Blank);
        }
        if s.chars().count() > MAX_KEY {
            return Err(FieldCode::TooLong);
        }
        if s.chars().any(char::is_control) {
            return Err(FieldCode::InvalidCharacters);
        }
        Ok(Self(s.into()))
    }

    /// Wraps an id read back from the store.
    pub fn from_trusted(s: String) -> Self {
        Self(s.into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared text itself (binding it to a query copies nothing).
    pub fn shared(&self) -> std::sync::Arc<str> {
        self.0.clone()
    }
}

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

crate::wire_enum!(
    /// What an event came to.
    Outcome {
        /// It passed every rule (its points may come later: a join earns at the leave).
        Counted => "counted",
        /// A daily cap or a per-pair limit was used up.
        Capped => "capped",
        /// Too soon after the same action.
        Cooldown => "cooldown",
        /// It failed validation (fields, time window, a closed day, the meetup's state).
        Invalid => "invalid",
        /// The burst limiter muted the sender.
        Muted => "muted",
        /// A fraud rule refused it.
        Blocked => "blocked",
        /// Its `event_id` was seen before.
        Duplicate => "duplicate",
    }
);

impl Outcome {
    /// Refusals in the order the contract names the event's outcome by (`duplicate` first);
    /// `counted` last.
    pub fn precedence(self) -> u8 {
        match self {
            Self::Duplicate => 0,
            Self::Invalid => 1,
            Self::Blocked => 2,
            Self::Muted => 3,
            Self::Capped => 4,
            Self::Cooldown => 5,
            Self::Counted => 6,
        }
    }
}

crate::wire_enum!(
    /// Where points fall.
    Category {
        /// DMs, room messages, invites accepted, new friends.
        Friends => "friends",
        /// Hosting and attending meetups.
        Meetups => "meetups",
        /// Games played and won.
        Games => "games",
        /// Unique senders and accepters.
        Popularity => "popularity",
    }
);

impl Category {
    /// Its index in a `[i64; 4]` of category points.
    pub fn index(self) -> usize {
        match self {
            Self::Friends => 0,
            Self::Meetups => 1,
            Self::Games => 2,
            Self::Popularity => 3,
        }
    }
}

crate::wire_enum!(
    /// The event types of the contract's table.
    EventType {
        /// `from`, `to`.
        DmSent => "dm_sent",
        /// `user`, `room`.
        RoomMessage => "room_message",
        /// `inviter`, `accepter`.
        InviteAccepted => "invite_accepted",
        /// `user_a`, `user_b`.
        FriendshipCreated => "friendship_created",
        /// `host`, `room`.
        RoomCreated => "room_created",
        /// `user`, `room`.
        RoomJoined => "room_joined",
        /// `user`, `room`.
        RoomLeft => "room_left",
        /// `host`, `room`.
        RoomCancelled => "room_cancelled",
        /// `host`, `room`.
        RoomEnded => "room_ended",
        /// `players` [a, b], `winner`?, `duration_s`, `moves`.
        GameCompleted => "game_completed",
    }
);

/// What happened, with its fields.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A direct message.
    DmSent {
        /// The sender.
        from: Key,
        /// The recipient.
        to: Key,
    },
    /// A message in a room.
    RoomMessage {
        /// The author.
        user: Key,
        /// The room.
        room: Key,
    },
    /// An invite accepted.
    InviteAccepted {
        /// Who invited.
        inviter: Key,
        /// Who accepted.
        accepter: Key,
    },
    /// Two users became friends.
    FriendshipCreated {
        /// One of them.
        user_a: Key,
        /// The other.
        user_b: Key,
    },
    /// A meetup's lifecycle: created, joined, left, cancelled, ended.
    Room {
        /// Which step.
        step: RoomStep,
        /// The host (created, cancelled, ended) or the attendee (joined, left).
        user: Key,
        /// The room.
        room: Key,
    },
    /// A finished game between two players.
    GameCompleted {
        /// The two players, as given.
        players: [Key; 2],
        /// The winner, one of the players (none: a draw).
        winner: Option<Key>,
        /// How long it lasted.
        duration_s: f64,
        /// How many moves were made.
        moves: u64,
    },
}

/// A step of a meetup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomStep {
    /// `room_created`.
    Created,
    /// `room_joined`.
    Joined,
    /// `room_left`.
    Left,
    /// `room_cancelled`.
    Cancelled,
    /// `room_ended`.
    Ended,
}

/// One reported event, its fields checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The app's idempotency key.
    pub event_id: Key,
    /// When it happened (the receipt time when the app gave none).
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: EventKind,
}

/// What [`Event::parse`] makes of one element of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A well-formed event.
    Event(Event),
    /// An event with an id whose other fields are wrong: answered `invalid` with these errors.
    Invalid {
        /// Its id.
        event_id: Key,
        /// Its type, if it named a known one.
        event_type: Option<EventType>,
        /// When it happened, if given and well-formed.
        at: Option<DateTime<Utc>>,
        /// What is wrong.
        errors: FieldErrors,
    },
}

impl Event {
    /// The event's type.
    pub fn event_type(&self) -> EventType {
        match &self.kind {
            EventKind::DmSent { .. } => EventType::DmSent,
            EventKind::RoomMessage { .. } => EventType::RoomMessage,
            EventKind::InviteAccepted { .. } => EventType::InviteAccepted,
            EventKind::FriendshipCreated { .. } => EventType::FriendshipCreated,
            EventKind::Room { step, .. } => match step {
                RoomStep::Created => EventType::RoomCreated,
                RoomStep::Joined => EventType::RoomJoined,
                RoomStep::Left => EventType::RoomLeft,
                RoomStep::Cancelled => EventType::RoomCancelled,
                RoomStep::Ended => EventType::RoomEnded,
            },
            EventKind::GameCompleted { .. } => EventType::GameCompleted,
        }
    }

    /// The users the event names, in the order of its fields.
    pub fn users(&self) -> Vec<&Key> {
        match &self.kind {
            EventKind::DmSent { from, to } => vec![from, to],
            EventKind::RoomMessage { user, .. } | EventKind::Room { user, .. } => vec![user],
            EventKind::InviteAccepted { inviter, accepter } => vec![inviter, accepter],
            EventKind::FriendshipCreated { user_a, user_b } => vec![user_a, user_b],
            EventKind::GameCompleted { players, .. } => players.iter().collect(),
        }
    }

    /// The event's fields as stored (and listed in the history): type-specific fields only.
    pub fn fields_json(&self) -> Value {
        serde_json::to_value(self.fields()).unwrap_or_default()
    }

    /// [`Event::fields_json`] as text, serialised straight from the event (the writer stores
    /// it with every event).
    pub fn fields_text(&self) -> String {
        serde_json::to_string(&self.fields()).unwrap_or_else(|_| "{}".to_owned())
    }

    fn fields(&self) -> StoredFields<'_> {
        match &self.kind {
            EventKind::DmSent { from, to } => StoredFields::Dm { from, to },
            EventKind::RoomMessage { user, room } => StoredFields::User { room, user },
            EventKind::InviteAccepted { inviter, accepter } => StoredFields::Invite { accepter, inviter },
            EventKind::FriendshipCreated { user_a, user_b } => StoredFields::Friends { user_a, user_b },
            EventKind::Room { step, user, room } => match step {
                RoomStep::Created | RoomStep::Cancelled | RoomStep::Ended => StoredFields::Host { host: user, room },
                RoomStep::Joined | RoomStep::Left => StoredFields::User { room, user },
            },
            EventKind::GameCompleted { players, winner, duration_s, moves } => {
                StoredFields::Game { duration_s, moves, players, winner }
            }
        }
    }

    /// Rebuilds a stored event from its type, fields and time (`None`: not a stored form).
    pub fn from_stored(event_id: Key, event_type: EventType, at: DateTime<Utc>, fields: &Value) -> Option<Self> {
        let mut body = fields.as_object()?.clone();
        body.insert("event_id".to_owned(), Value::from(event_id.as_str()));
        body.insert("type".to_owned(), Value::from(event_type.as_str()));
        match Self::parse(&Value::Object(body), at) {
            Ok(Parsed::Event(e)) => Some(Self { at, ..e }),
            _ => None,
        }
    }

    /// Reads one element of a batch. `Err` when it has no usable `event_id` (the batch is then
    /// refused as a whole: an event without its idempotency key cannot be answered safely);
    /// otherwise a well-formed event or an `invalid` one with its field errors. `now` stands in
    /// for a missing `at`.
    pub fn parse(value: &Value, now: DateTime<Utc>) -> Result<Parsed, FieldCode> {
        let object = value.as_object().ok_or(FieldCode::InvalidType)?;
        let event_id = match object.get("event_id") {
            None | Some(Value::Null) => return Err(FieldCode::Required),
            Some(Value::String(s)) => Key::parse(s)?,
            Some(_) => return Err(FieldCode::InvalidType),
        };
        let mut errors = FieldErrors::new();
        let at = match object.get("at") {
            None | Some(Value::Null) => Some(now),
            Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    errors.add("at", FieldCode::InvalidFormat);
                    None
                }
            },
            Some(_) => {
                errors.add("at", FieldCode::InvalidType);
                None
            }
        };
        let event_type = match object.get("type") {
            None | Some(Value::Null) => {
                errors.add("type", FieldCode::Required);
                None
            }
            Some(Value::String(s)) => {
                let t = EventType::parse(s);
                if t.is_none() {
                    errors.add("type", FieldCode::InvalidEnum);
                }
                t
            }
            Some(_) => {
                errors.add("type", FieldCode::InvalidType);
                None
            }
        };
        let mut fields = Fields { object, errors: &mut errors };
        let kind = event_type.and_then(|t| fields.kind(t));
        match (kind, at) {
            (Some(kind), Some(at)) if errors.is_empty() => Ok(Parsed::Event(Event { event_id, at, kind })),
            _ => Ok(Parsed::Invalid { event_id, event_type, at, errors }),
        }
    }
}

/// Reads an event's type-specific fields, collecting what is wrong.
struct Fields<'a> {
    object: &'a serde_json::Map<String, Value>,
    errors: &'a mut FieldErrors,
}

impl Fields<'_> {
    fn known(&mut self, names: &[&str]) {
        for key in self.object.keys() {
            if !["event_id", "type", "at"].contains(&key.as_str()) && !names.contains(&key.as_str()) {
                self.errors.add(key.clone(), FieldCode::UnknownField);
            }
        }
    }

    fn key(&mut self, name: &str) -> Option<Key> {
        match self.object.get(name) {
            None | Some(Value::Null) => {
                self.errors.add(name, FieldCode::Required);
                None
            }
            Some(Value::String(s)) => self.errors.check(name, Key::parse(s)),
            Some(_) => {
                self.errors.add(name, FieldCode::InvalidType);
                None
            }
        }
    }

    fn two(&mut self, a: &str, b: &str) -> Option<(Key, Key)> {
        self.known(&[a, b]);
        let (x, y) = (self.key(a), self.key(b));
        let (x, y) = (x?, y?);
        if x == y {
            self.errors.add(b, FieldCode::Duplicate);
            return None;
        }
        Some((x, y))
    }

    fn number(&mut self, name: &str) -> Option<f64> {
        match self.object.get(name) {
            None | Some(Value::Null) => {
                self.errors.add(name, FieldCode::Required);
                None
            }
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f >= 0.0 && f.is_finite() => Some(f),
                _ => {
                    self.errors.add(name, FieldCode::OutOfRange);
                    None
                }
            },
            Some(_) => {
                self.errors.add(name, FieldCode::InvalidType);
                None
            }
        }
    }

    fn kind(&mut self, t: EventType) -> Option<EventKind> {
        let room = |fields: &mut Self, step: RoomStep, who: &str| {
            fields.known(&[who, "room"]);
            let (user, room) = (fields.key(who), fields.key("room"));
            Some(EventKind::Room { step, user: user?, room: room? })
        };
        match t {
            EventType::DmSent => self.two("from", "to").map(|(from, to)| EventKind::DmSent { from, to }),
            EventType::RoomMessage => {
                self.known(&["user", "room"]);
                let (user, room) = (self.key("user"), self.key("room"));
                Some(EventKind::RoomMessage { user: user?, room: room? })
            }
            EventType::InviteAccepted => self
                .two("inviter", "accepter")
                .map(|(inviter, accepter)| EventKind::InviteAccepted { inviter, accepter }),
            EventType::FriendshipCreated => {
                self.two("user_a", "user_b").map(|(user_a, user_b)| EventKind::FriendshipCreated { user_a, user_b })
            }
            EventType::RoomCreated => room(self, RoomStep::Created, "host"),
            EventType::RoomJoined => room(self, RoomStep::Joined, "user"),
            EventType::RoomLeft => room(self, RoomStep::Left, "user"),
            EventType::RoomCancelled => room(self, RoomStep::Cancelled, "host"),
            EventType::RoomEnded => room(self, RoomStep::Ended, "host"),
            EventType::GameCompleted => self.game(),
        }
    }

    fn game(&mut self) -> Option<EventKind> {
        self.known(&["players", "winner", "duration_s", "moves"]);
        let players = match self.object.get("players") {
            None | Some(Value::Null) => {
                self.errors.add("players", FieldCode::Required);
                None
            }
            Some(Value::Array(list)) if list.len() != 2 => {
                self.errors.add("players", if list.len() < 2 { FieldCode::TooFew } else { FieldCode::TooMany });
                None
            }
            Some(Value::Array(list)) => {
                let mut keys = Vec::with_capacity(2);
                for (i, v) in list.iter().enumerate() {
                    let field = format!("players[{i}]");
                    match v.as_str() {
                        Some(s) => keys.extend(self.errors.check(&field, Key::parse(s))),
                        None => self.errors.add(field, FieldCode::InvalidType),
                    }
                }
                match <[Key; 2]>::try_from(keys) {
                    Ok([a, b]) if a == b => {
                        self.errors.add("players[1]", FieldCode::Duplicate);
                        None
                    }
                    Ok(pair) => Some(pair),
                    Err(_) => None,
                }
            }
            Some(_) => {
                self.errors.add("players", FieldCode::InvalidType);
                None
            }
        };
        let winner = match self.object.get("winner") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => self.errors.check("winner", Key::parse(s)),
            Some(_) => {
                self.errors.add("winner", FieldCode::InvalidType);
                None
            }
        };
        let duration_s = self.number("duration_s");
        let moves = self.number("moves").and_then(|m| {
            if m.fract() == 0.0 {
                Some(m as u64)
            } else {
                self.errors.add("moves", FieldCode::InvalidType);
                None
            }
        });
        let players = players?;
        if let Some(w) = &winner
            && !players.contains(w)
        {
            self.errors.add("winner", FieldCode::InvalidValue);
            return None;
        }
        Some(EventKind::GameCompleted { players, winner, duration_s: duration_s?, moves: moves? })
    }
}

/// An event's type-specific fields as stored (keys in alphabetical order, as a JSON object
/// holds them).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum StoredFields<'a> {
    Dm { from: &'a Key, to: &'a Key },
    User { room: &'a Key, user: &'a Key },
    Host { host: &'a Key, room: &'a Key },
    Invite { accepter: &'a Key, inviter: &'a Key },
    Friends { user_a: &'a Key, user_b: &'a Key },
    Game { duration_s: &'a f64, moves: &'a u64, players: &'a [Key; 2], winner: &'a Option<Key> },
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Parsed {
        Event::parse(&v, chrono::Utc::now()).unwrap()
    }

    #[test]
    fn every_type_reads_its_fields() {
        for (t, fields) in [
            ("dm_sent", json!({"from": "a", "to": "b"})),
            ("room_message", json!({"user": "a", "room": "r"})),
            ("invite_accepted", json!({"inviter": "a", "accepter": "b"})),
            ("friendship_created", json!({"user_a": "a", "user_b": "b"})),
            ("room_created", json!({"host": "a", "room": "r"})),
            ("room_joined", json!({"user": "a", "room": "r"})),
            ("room_left", json!({"user": "a", "room": "r"})),
            ("room_cancelled", json!({"host": "a", "room": "r"})),
            ("room_ended", json!({"host": "a", "room": "r"})),
            ("game_completed", json!({"players": ["a", "b"], "winner": "a", "duration_s": 120.5, "moves": 9})),
        ] {
            let mut body = fields.as_object().unwrap().clone();
            body.insert("event_id".into(), json!("e1"));
            body.insert("type".into(), json!(t));
            let Parsed::Event(e) = parse(Value::Object(body)) else { panic!("{t}") };
            assert_eq!(e.event_type().as_str(), t);
            assert_eq!(e.fields_json(), fields, "{t}");
            assert_eq!(serde_json::from_str::<Value>(&e.fields_text()).unwrap(), fields, "{t}");
            let again = Event::from_stored(e.event_id.clone(), e.event_type(), e.at, &e.fields_json()).unwrap();
            assert_eq!(again, e);
        }
    }

    #[test]
    fn a_bad_event_is_invalid_with_its_fields_named_and_one_without_an_id_is_refused() {
        let Parsed::Invalid { errors, .. } = parse(json!({"event_id": "e", "type": "game_completed",
            "players": ["a", "a"], "duration_s": -1, "moves": 2.5, "colour": "red"}))
        else {
            panic!()
        };
        let errors = serde_json::to_value(errors).unwrap();
        assert_eq!(errors["players[1]"], json!(["duplicate"]));
        assert_eq!(errors["duration_s"], json!(["out_of_range"]));
        assert_eq!(errors["moves"], json!(["invalid_type"]));
        assert_eq!(errors["colour"], json!(["unknown_field"]));
        let Parsed::Invalid { errors, .. } = parse(json!({"event_id": "e", "type": "warp", "at": "yesterday"})) else {
            panic!()
        };
        assert_eq!(errors.fields().len(), 2);
        assert_eq!(Event::parse(&json!({"type": "dm_sent"}), chrono::Utc::now()), Err(FieldCode::Required));
        assert_eq!(Event::parse(&json!({"event_id": 5}), chrono::Utc::now()), Err(FieldCode::InvalidType));
        assert_eq!(Event::parse(&json!([]), chrono::Utc::now()), Err(FieldCode::InvalidType));
    }
}
