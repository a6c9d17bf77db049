//! The rules of one game, applied to one event at a time in arrival order, judged by the
//! event's `at`: daily caps, per-pair limits, cooldowns, meetup and game validation, the burst
//! limiter and the three fraud rules. [`Counters`] holds every count the rules read, keyed so
//! that each event costs a handful of hash-map operations (O(1)); [`Counters::prune`] drops
//! what no open day or fraud window can read any more. After a restart the service replays the
//! stored events of those windows with their recorded outcomes ([`Counters::replay`]), which
//! rebuilds the same counts without judging anything again.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::model::activity::{Category, Event, EventKind, Key, KeyMap, KeySet, Outcome, Policy, RoomStep};

crate::wire_enum!(
    /// The fraud rules of activity scores.
    ActivityFlagType {
        /// Games between the same two players whose winner alternates.
        WinTrading => "win_trading",
        /// Joining and leaving the same meetup again and again in one day.
        RapidJoinLeave => "rapid_join_leave",
        /// Creating meetups and cancelling most of them.
        CreateCancel => "create_cancel",
    }
);

/// Points one event earned one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Award {
    /// Who.
    pub user: Key,
    /// Where they fall.
    pub category: Category,
    /// How many.
    pub points: i64,
}

/// What one user got from one event.
#[derive(Debug, Clone, PartialEq)]
pub struct UserVerdict {
    /// Counted or the refusal that applied to them.
    pub outcome: Outcome,
    /// Points earned (before the streak multiplier).
    pub points: i64,
    /// Why (stable snake_case codes, e.g. `daily_cap`, `opponent_cooldown`, `won`).
    pub reasons: Vec<&'static str>,
}

/// A fraud rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedFlag {
    /// The user flagged.
    pub user: Key,
    /// Which rule.
    pub flag_type: ActivityFlagType,
    /// The events it is about (a confirmed flag removes the points they earned this user).
    pub events: Vec<Key>,
    /// What was observed and the threshold.
    pub evidence: Value,
}

/// What the rules made of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The event's outcome: `counted` when anyone earned points (or it passed every rule),
    /// else the first refusal in the contract's order.
    pub outcome: Outcome,
    /// Per user, named users first (in field order), then anyone else who earned (a host).
    pub users: Vec<(Key, UserVerdict)>,
    /// Points earned, per user and category.
    pub awards: Vec<Award>,
    /// Fraud flags raised.
    pub flags: Vec<RaisedFlag>,
    /// The reason of a refusal of the whole event (duplicate, invalid), named users or not.
    pub reason: Option<&'static str>,
}

impl Verdict {
    /// A verdict for the whole event (duplicate, invalid) with one reason and no points.
    pub fn refused(outcome: Outcome, reason: &'static str, users: &[&Key]) -> Self {
        let users =
            users.iter().map(|u| ((*u).clone(), UserVerdict { outcome, points: 0, reasons: vec![reason] })).collect();
        Self { outcome, users, awards: Vec::new(), flags: Vec::new(), reason: Some(reason) }
    }

    /// Points per user (only those who earned).
    pub fn points(&self) -> Vec<(&Key, i64)> {
        self.users.iter().filter(|(_, v)| v.points != 0).map(|(u, v)| (u, v.points)).collect()
    }
}

/// What was recorded for an event, replayed after a restart instead of judged again: each
/// user's outcome, and the hosts the event paid (a host paid by their own refused message
/// keeps that refusal as their outcome).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// Per user, the outcome recorded.
    pub outcomes: KeyMap<Key, Outcome>,
    /// Hosts whose meetup points this event paid.
    pub hosts_paid: KeySet<Key>,
}

impl Recorded {
    /// What a verdict records.
    pub fn of(verdict: &Verdict) -> Self {
        Self {
            outcomes: verdict.users.iter().map(|(u, v)| (u.clone(), v.outcome)).collect(),
            hosts_paid: verdict
                .users
                .iter()
                .filter(|(_, v)| v.reasons.contains(&"meetup_hosted"))
                .map(|(u, _)| u.clone())
                .collect(),
        }
    }

    fn get(&self, user: &Key) -> Option<&Outcome> {
        self.outcomes.get(user)
    }
}

/// Two users in a fixed order (A-vs-B and B-vs-A are one pair).
type Pair = (Key, Key);

fn pair(a: &Key, b: &Key) -> Pair {
    if a <= b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) }
}

/// Counted actions of one user on one day.
#[derive(Debug, Default, Clone, Copy)]
struct Daily {
    dms: u32,
    room_messages: u32,
    room_joins: u32,
    room_creations: u32,
    new_friends: u32,
    unique_senders: u32,
    unique_accepters: u32,
    invites_accepted: u32,
}

/// A meetup while it may still earn anyone anything.
#[derive(Debug, Clone)]
struct Room {
    host: Key,
    created_at: DateTime<Utc>,
    /// The creation counted (within the host's daily cap): only then can the host earn.
    eligible: bool,
    closed: bool,
    host_awarded: bool,
    /// Who is in it now, since when.
    present: KeyMap<Key, DateTime<Utc>>,
    /// Everyone who has been present (the host from the start).
    ever: KeySet<Key>,
}

/// One sender's messages in one channel.
#[derive(Debug, Default, Clone)]
struct Burst {
    times: VecDeque<DateTime<Utc>>,
    muted_until: Option<DateTime<Utc>>,
}

/// A counted game of a pair, for win trading.
#[derive(Debug, Clone)]
struct PairGame {
    at: DateTime<Utc>,
    winner: Option<Key>,
    event: Key,
}

/// A meetup a host created, for create-cancel.
#[derive(Debug, Clone)]
struct Hosted {
    at: DateTime<Utc>,
    room: Key,
    event: Key,
    cancelled: bool,
}

/// Every count the rules of one game read (see the module note).
#[derive(Debug, Default)]
pub struct Counters {
    daily: KeyMap<(NaiveDate, Key), Daily>,
    senders: KeySet<(NaiveDate, Key, Key)>,
    accepters: KeySet<(NaiveDate, Key, Key)>,
    dm_pairs: KeyMap<(NaiveDate, Key, Key), u32>,
    dm_last: KeyMap<(Key, Key), DateTime<Utc>>,
    game_pairs: KeyMap<(NaiveDate, Pair), u32>,
    game_last: KeyMap<Pair, DateTime<Utc>>,
    pair_games: KeyMap<Pair, VecDeque<PairGame>>,
    rooms: KeyMap<Key, Room>,
    join_last: KeyMap<(Key, Key), DateTime<Utc>>,
    joins: KeyMap<(NaiveDate, Key, Key), (u32, Vec<Key>)>,
    join_flagged: KeySet<(NaiveDate, Key, Key)>,
    burst: KeyMap<(String, Key), Burst>,
    hosted: KeyMap<Key, VecDeque<Hosted>>,
    cancel_flagged: KeyMap<Key, DateTime<Utc>>,
}

/// A user's result being worked out.
struct Draft {
    users: Vec<(Key, UserVerdict)>,
    awards: Vec<Award>,
    flags: Vec<RaisedFlag>,
}

impl Draft {
    fn new(users: &[&Key]) -> Self {
        let users = users
            .iter()
            .map(|u| ((*u).clone(), UserVerdict { outcome: Outcome::Counted, points: 0, reasons: Vec::new() }))
            .collect();
        Self { users, awards: Vec::new(), flags: Vec::new() }
    }

    fn slot(&mut self, user: &Key) -> &mut UserVerdict {
        let i = match self.users.iter().position(|(u, _)| u == user) {
            Some(i) => i,
            None => {
                self.users
                    .push((user.clone(), UserVerdict { outcome: Outcome::Counted, points: 0, reasons: Vec::new() }));
                self.users.len() - 1
            }
        };
        &mut self.users[i].1
    }

    /// Refuses `user` with `outcome` unless a refusal that comes first already applies.
    fn refuse(&mut self, user: &Key, outcome: Outcome, reason: &'static str) {
        let slot = self.slot(user);
        if outcome.precedence() < slot.outcome.precedence() {
            slot.outcome = outcome;
        }
        slot.reasons.push(reason);
    }

    fn outcome(&self, user: &Key) -> Outcome {
        self.users.iter().find(|(u, _)| u == user).map_or(Outcome::Counted, |(_, v)| v.outcome)
    }

    fn award(&mut self, user: &Key, category: Category, points: u32, reason: &'static str) {
        let slot = self.slot(user);
        slot.points += i64::from(points);
        slot.reasons.push(reason);
        if points > 0 {
            self.awards.push(Award { user: user.clone(), category, points: i64::from(points) });
        }
    }

    /// Replaces computed outcomes with recorded ones (a replay).
    fn force(&mut self, recorded: Option<&Recorded>) {
        if let Some(recorded) = recorded {
            for (user, verdict) in &mut self.users {
                if let Some(o) = recorded.get(user) {
                    verdict.outcome = *o;
                }
            }
        }
    }

    fn finish(self) -> Verdict {
        let outcome = if self.users.iter().any(|(_, v)| v.points > 0) {
            Outcome::Counted
        } else {
            self.users.iter().map(|(_, v)| v.outcome).min_by_key(|o| o.precedence()).unwrap_or(Outcome::Counted)
        };
        Verdict { outcome, users: self.users, awards: self.awards, flags: self.flags, reason: None }
    }
}

/// `at` and `then` are closer than `seconds` (either order: events may arrive late).
fn within(at: DateTime<Utc>, then: DateTime<Utc>, seconds: u32) -> bool {
    (at - then).abs() < Duration::seconds(i64::from(seconds))
}

impl Counters {
    /// Judges one well-formed event (its `at` already checked against the accepted window and
    /// the frozen days) and counts it.
    pub fn judge(&mut self, policy: &Policy, event: &Event) -> Verdict {
        self.run(policy, event, None)
    }

    /// Counts a stored event again with the outcomes recorded for it (the start-up rebuild).
    pub fn replay(&mut self, policy: &Policy, event: &Event, recorded: &Recorded) {
        self.run(policy, event, Some(recorded));
    }

    fn run(&mut self, policy: &Policy, event: &Event, recorded: Option<&Recorded>) -> Verdict {
        let day = event.at.with_timezone(&policy.time_zone).date_naive();
        let at = event.at;
        let mut draft = Draft::new(&event.users());
        match &event.kind {
            EventKind::DmSent { from, to } => self.dm(policy, day, at, from, to, &mut draft, recorded),
            EventKind::RoomMessage { user, room } => {
                self.burst_check(policy, at, format!("room:{room}"), user, &mut draft);
                let daily = self.daily.entry((day, user.clone())).or_default();
                if daily.room_messages >= policy.daily_caps.room_messages {
                    draft.refuse(user, Outcome::Capped, "daily_cap");
                }
                draft.force(recorded);
                if draft.outcome(user) == Outcome::Counted {
                    daily.room_messages += 1;
                    draft.award(user, Category::Friends, policy.weights.room_message, "room_message");
                }
                self.host_check(policy, at, room, event, &mut draft, recorded);
            }
            EventKind::InviteAccepted { inviter, accepter } => {
                let daily = self.daily.entry((day, accepter.clone())).or_default();
                if daily.invites_accepted >= policy.daily_caps.invites_accepted {
                    draft.refuse(accepter, Outcome::Capped, "daily_cap");
                }
                draft.force(recorded);
                if draft.outcome(accepter) == Outcome::Counted {
                    daily.invites_accepted += 1;
                    draft.award(accepter, Category::Friends, policy.weights.invite_accepted, "invite_accepted");
                    let key = (day, inviter.clone(), accepter.clone());
                    if !self.accepters.contains(&key) {
                        let d = self.daily.entry((day, inviter.clone())).or_default();
                        if d.unique_accepters >= policy.daily_caps.unique_accepters {
                            draft.refuse(inviter, Outcome::Capped, "daily_cap");
                        }
                        draft.force(recorded);
                        if draft.outcome(inviter) == Outcome::Counted {
                            d.unique_accepters += 1;
                            self.accepters.insert(key);
                            draft.award(inviter, Category::Popularity, policy.weights.unique_accepter, "new_accepter");
                        }
                    } else {
                        draft.slot(inviter).reasons.push("accepter_already_counted");
                    }
                } else {
                    let accepter_outcome = draft.outcome(accepter);
                    let slot = draft.slot(inviter);
                    slot.outcome = accepter_outcome;
                    slot.reasons.push("invite_not_counted");
                }
            }
            EventKind::FriendshipCreated { user_a, user_b } => {
                for user in [user_a, user_b] {
                    if self.daily.entry((day, user.clone())).or_default().new_friends >= policy.daily_caps.new_friends {
                        draft.refuse(user, Outcome::Capped, "daily_cap");
                    }
                }
                draft.force(recorded);
                for user in [user_a, user_b] {
                    if draft.outcome(user) == Outcome::Counted {
                        self.daily.entry((day, user.clone())).or_default().new_friends += 1;
                        draft.award(user, Category::Friends, policy.weights.new_friend, "new_friend");
                    }
                }
            }
            EventKind::Room { step, user, room } => {
                self.room(policy, day, event, *step, user, room, &mut draft, recorded)
            }
            EventKind::GameCompleted { players, winner, duration_s, moves } => {
                let [a, b] = players;
                if *duration_s < f64::from(policy.games.min_duration_s) {
                    draft.refuse(a, Outcome::Invalid, "game_too_short");
                    draft.refuse(b, Outcome::Invalid, "game_too_short");
                }
                if *moves < u64::from(policy.games.min_moves) {
                    draft.refuse(a, Outcome::Invalid, "too_few_moves");
                    draft.refuse(b, Outcome::Invalid, "too_few_moves");
                }
                let p = pair(a, b);
                let today = self.game_pairs.get(&(day, p.clone())).copied().unwrap_or(0);
                if today >= policy.pair_limits.games_per_opponent {
                    draft.refuse(a, Outcome::Capped, "opponent_limit");
                    draft.refuse(b, Outcome::Capped, "opponent_limit");
                }
                if self.game_last.get(&p).is_some_and(|t| within(at, *t, policy.cooldowns.game_opponent_s)) {
                    draft.refuse(a, Outcome::Cooldown, "opponent_cooldown");
                    draft.refuse(b, Outcome::Cooldown, "opponent_cooldown");
                }
                draft.force(recorded);
                if draft.outcome(a) == Outcome::Counted && draft.outcome(b) == Outcome::Counted {
                    *self.game_pairs.entry((day, p.clone())).or_default() += 1;
                    let last = self.game_last.entry(p.clone()).or_insert(at);
                    *last = (*last).max(at);
                    for player in [a, b] {
                        draft.award(player, Category::Games, policy.weights.game_played, "game_played");
                    }
                    if let Some(w) = winner {
                        draft.award(w, Category::Games, policy.weights.game_won, "won");
                    }
                    self.win_trading(policy, at, p, winner.clone(), event, &mut draft, recorded.is_some());
                }
            }
        }
        draft.finish()
    }

    #[allow(clippy::too_many_arguments)]
    fn dm(
        &mut self,
        policy: &Policy,
        day: NaiveDate,
        at: DateTime<Utc>,
        from: &Key,
        to: &Key,
        draft: &mut Draft,
        recorded: Option<&Recorded>,
    ) {
        self.burst_check(policy, at, format!("dm:{to}"), from, draft);
        let daily = self.daily.get(&(day, from.clone())).copied().unwrap_or_default();
        if daily.dms >= policy.daily_caps.dms {
            draft.refuse(from, Outcome::Capped, "daily_cap");
        }
        let pair_key = (day, from.clone(), to.clone());
        if self.dm_pairs.get(&pair_key).copied().unwrap_or(0) >= policy.pair_limits.dms_per_recipient {
            draft.refuse(from, Outcome::Capped, "recipient_limit");
        }
        if self
            .dm_last
            .get(&(from.clone(), to.clone()))
            .is_some_and(|t| within(at, *t, policy.cooldowns.dm_recipient_s))
        {
            draft.refuse(from, Outcome::Cooldown, "recipient_cooldown");
        }
        draft.force(recorded);
        if draft.outcome(from) != Outcome::Counted {
            // The recipient earns only from a counted DM.
            let sender_outcome = draft.outcome(from);
            let slot = draft.slot(to);
            slot.outcome = sender_outcome;
            slot.reasons.push("dm_not_counted");
            return;
        }
        self.daily.entry((day, from.clone())).or_default().dms += 1;
        *self.dm_pairs.entry(pair_key).or_default() += 1;
        let last = self.dm_last.entry((from.clone(), to.clone())).or_insert(at);
        *last = (*last).max(at);
        draft.award(from, Category::Friends, policy.weights.dm_sent, "dm_sent");
        let key = (day, to.clone(), from.clone());
        if self.senders.contains(&key) {
            draft.slot(to).reasons.push("sender_already_counted");
            return;
        }
        let d = self.daily.entry((day, to.clone())).or_default();
        if d.unique_senders >= policy.daily_caps.unique_senders {
            draft.refuse(to, Outcome::Capped, "daily_cap");
        }
        draft.force(recorded);
        if draft.outcome(to) == Outcome::Counted {
            d.unique_senders += 1;
            self.senders.insert(key);
            draft.award(to, Category::Popularity, policy.weights.unique_sender, "new_sender");
        }
    }

    /// The burst limiter: more than `max_per_second` messages of `user` in `channel` within
    /// one second mutes them there for `mute_s`; a muted message counts nothing.
    fn burst_check(&mut self, policy: &Policy, at: DateTime<Utc>, channel: String, user: &Key, draft: &mut Draft) {
        let b = self.burst.entry((channel, user.clone())).or_default();
        let window = Duration::seconds(i64::from(policy.burst.window_s));
        while b.times.front().is_some_and(|t| *t <= at - window) {
            b.times.pop_front();
        }
        b.times.push_back(at);
        if b.muted_until.is_some_and(|until| at < until) {
            draft.refuse(user, Outcome::Muted, "muted");
            return;
        }
        let second = Duration::seconds(1);
        let recent = b.times.iter().filter(|t| **t > at - second && **t <= at).count();
        if recent > policy.burst.max_per_second as usize {
            b.muted_until = Some(at + Duration::seconds(i64::from(policy.burst.mute_s)));
            draft.refuse(user, Outcome::Muted, "burst");
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn room(
        &mut self,
        policy: &Policy,
        day: NaiveDate,
        event: &Event,
        step: RoomStep,
        user: &Key,
        room: &Key,
        draft: &mut Draft,
        recorded: Option<&Recorded>,
    ) {
        let at = event.at;
        if step == RoomStep::Created {
            if self.rooms.contains_key(room) {
                draft.refuse(user, Outcome::Invalid, "room_exists");
                draft.force(recorded);
                return;
            }
            if self.daily.entry((day, user.clone())).or_default().room_creations >= policy.daily_caps.room_creations {
                draft.refuse(user, Outcome::Capped, "daily_cap");
            }
            draft.force(recorded);
            let eligible = draft.outcome(user) == Outcome::Counted;
            if eligible {
                self.daily.entry((day, user.clone())).or_default().room_creations += 1;
                draft.slot(user).reasons.push("meetup_pending");
            }
            if draft.outcome(user) != Outcome::Invalid {
                self.rooms.insert(
                    room.clone(),
                    Room {
                        host: user.clone(),
                        created_at: at,
                        eligible,
                        closed: false,
                        host_awarded: false,
                        present: KeyMap::default(),
                        ever: KeySet::from_iter([user.clone()]),
                    },
                );
                self.hosted.entry(user.clone()).or_default().push_back(Hosted {
                    at,
                    room: room.clone(),
                    event: event.event_id.clone(),
                    cancelled: false,
                });
            }
            return;
        }
        let Some(r) = self.rooms.get(room) else {
            draft.refuse(user, Outcome::Invalid, "unknown_room");
            draft.force(recorded);
            return;
        };
        if r.closed {
            draft.refuse(user, Outcome::Invalid, "room_closed");
            draft.force(recorded);
            return;
        }
        match step {
            RoomStep::Created => {}
            RoomStep::Joined => {
                if r.present.contains_key(user) {
                    draft.refuse(user, Outcome::Invalid, "already_in_room");
                    draft.force(recorded);
                    return;
                }
                let key = (day, user.clone(), room.clone());
                let (count, _) = self.joins.get(&key).cloned().unwrap_or_default();
                if count + 1 >= policy.fraud.join_leave_per_day {
                    draft.refuse(user, Outcome::Blocked, "rapid_join_leave");
                }
                if self.daily.get(&(day, user.clone())).map_or(0, |d| d.room_joins) >= policy.daily_caps.room_joins {
                    draft.refuse(user, Outcome::Capped, "daily_cap");
                }
                if self
                    .join_last
                    .get(&(user.clone(), room.clone()))
                    .is_some_and(|t| within(at, *t, policy.cooldowns.meetup_rejoin_s))
                {
                    draft.refuse(user, Outcome::Cooldown, "rejoin_cooldown");
                }
                draft.force(recorded);
                let outcome = draft.outcome(user);
                let entry = self.joins.entry(key.clone()).or_default();
                entry.0 += 1;
                entry.1.push(event.event_id.clone());
                if outcome == Outcome::Blocked && self.join_flagged.insert(key) {
                    let events = entry.1.clone();
                    if recorded.is_none() {
                        draft.flags.push(RaisedFlag {
                            user: user.clone(),
                            flag_type: ActivityFlagType::RapidJoinLeave,
                            events,
                            evidence: json!({"room": room, "day": day.to_string(), "joins": entry.0,
                                "threshold": policy.fraud.join_leave_per_day}),
                        });
                    }
                }
                if outcome == Outcome::Counted {
                    self.daily.entry((day, user.clone())).or_default().room_joins += 1;
                    let last = self.join_last.entry((user.clone(), room.clone())).or_insert(at);
                    *last = (*last).max(at);
                    if let Some(r) = self.rooms.get_mut(room) {
                        r.present.insert(user.clone(), at);
                        r.ever.insert(user.clone());
                    }
                    draft.slot(user).reasons.push("stay_started");
                }
                self.host_check(policy, at, room, event, draft, recorded);
            }
            RoomStep::Left => {
                let Some(since) = r.present.get(user).copied() else {
                    draft.refuse(user, Outcome::Invalid, "not_in_room");
                    draft.force(recorded);
                    return;
                };
                if at - since < Duration::seconds(i64::from(policy.meetups.min_stay_s)) {
                    draft.refuse(user, Outcome::Invalid, "stay_too_short");
                }
                draft.force(recorded);
                if let Some(r) = self.rooms.get_mut(room) {
                    r.present.remove(user);
                }
                if draft.outcome(user) == Outcome::Counted {
                    draft.award(user, Category::Meetups, policy.weights.meetup_joined, "stay");
                }
                self.host_check(policy, at, room, event, draft, recorded);
            }
            RoomStep::Cancelled | RoomStep::Ended => {
                if r.host != *user {
                    draft.refuse(user, Outcome::Invalid, "not_host");
                    draft.force(recorded);
                    return;
                }
                let cancelled = step == RoomStep::Cancelled;
                if !cancelled {
                    self.host_check(policy, at, room, event, draft, recorded);
                }
                draft.force(recorded);
                let Some(r) = self.rooms.get_mut(room) else { return };
                r.closed = true;
                let early =
                    cancelled && at - r.created_at < Duration::seconds(i64::from(policy.meetups.cancel_window_s));
                let stays: Vec<(Key, DateTime<Utc>)> = r.present.drain().collect();
                for (attendee, since) in stays {
                    let long = at - since >= Duration::seconds(i64::from(policy.meetups.min_stay_s));
                    let earned = match recorded {
                        Some(rec) => rec.get(&attendee) == Some(&Outcome::Counted),
                        None => long && !early,
                    };
                    if earned {
                        draft.award(&attendee, Category::Meetups, policy.weights.meetup_joined, "stay");
                    } else {
                        draft.refuse(
                            &attendee,
                            Outcome::Invalid,
                            if early { "cancelled_early" } else { "stay_too_short" },
                        );
                    }
                }
                if cancelled {
                    self.create_cancel(policy, at, user, room, draft, recorded.is_some());
                }
            }
        }
    }

    /// The host's points: at the first event of the room at least `min_duration_s` after its
    /// creation while `min_attendees` distinct users (host included) have been present.
    fn host_check(
        &mut self,
        policy: &Policy,
        at: DateTime<Utc>,
        room: &Key,
        event: &Event,
        draft: &mut Draft,
        recorded: Option<&Recorded>,
    ) {
        let Some(r) = self.rooms.get_mut(room) else { return };
        let due = r.eligible
            && !r.closed
            && !r.host_awarded
            && at - r.created_at >= Duration::seconds(i64::from(policy.meetups.min_duration_s))
            && r.ever.len() >= policy.meetups.min_attendees as usize;
        let earned = match recorded {
            Some(rec) => due && rec.hosts_paid.contains(&r.host),
            None => due,
        };
        if earned {
            r.host_awarded = true;
            let host = r.host.clone();
            draft.award(&host, Category::Meetups, policy.weights.meetup_hosted, "meetup_hosted");
            if let Some(h) = self.hosted.get_mut(&host).and_then(|l| l.iter_mut().find(|h| h.room == *room)) {
                // The flag of a create-cancel host names the event that paid them.
                h.event = event.event_id.clone();
            }
        }
    }

    /// Create-cancel: over the window, at least `create_cancel_min_rooms` meetups created and
    /// more than `create_cancel_ratio` of them cancelled; flagged at most once per window.
    fn create_cancel(
        &mut self,
        policy: &Policy,
        at: DateTime<Utc>,
        host: &Key,
        room: &Key,
        draft: &mut Draft,
        replay: bool,
    ) {
        let window = Duration::days(i64::from(policy.fraud.create_cancel_window_days));
        let Some(list) = self.hosted.get_mut(host) else { return };
        if let Some(h) = list.iter_mut().find(|h| h.room == *room) {
            h.cancelled = true;
        }
        let recent: Vec<&Hosted> = list.iter().filter(|h| within(at, h.at, window.num_seconds() as u32)).collect();
        let cancelled = recent.iter().filter(|h| h.cancelled).count();
        let created = recent.len();
        let over = created >= policy.fraud.create_cancel_min_rooms as usize
            && cancelled as f64 > policy.fraud.create_cancel_ratio * created as f64;
        let flagged_lately = self.cancel_flagged.get(host).is_some_and(|t| at - *t < window);
        if over && !flagged_lately {
            let events = recent.iter().map(|h| h.event.clone()).collect();
            self.cancel_flagged.insert(host.clone(), at);
            if !replay {
                draft.flags.push(RaisedFlag {
                    user: host.clone(),
                    flag_type: ActivityFlagType::CreateCancel,
                    events,
                    evidence: json!({"created": created, "cancelled": cancelled,
                        "ratio": policy.fraud.create_cancel_ratio, "window_days": policy.fraud.create_cancel_window_days}),
                });
            }
        }
    }

    /// Win trading: the last `win_trade_alternations` counted games of a pair within the
    /// window, each with a winner, alternate winners game by game; the last one raises a flag
    /// on each player and the sequence starts over.
    #[allow(clippy::too_many_arguments)]
    fn win_trading(
        &mut self,
        policy: &Policy,
        at: DateTime<Utc>,
        p: Pair,
        winner: Option<Key>,
        event: &Event,
        draft: &mut Draft,
        replay: bool,
    ) {
        let window = Duration::days(i64::from(policy.fraud.win_trade_window_days));
        let games = self.pair_games.entry(p.clone()).or_default();
        games.push_back(PairGame { at, winner, event: event.event_id.clone() });
        games.retain(|g| at - g.at < window);
        let n = policy.fraud.win_trade_alternations as usize;
        if games.len() < n {
            return;
        }
        let last: Vec<&PairGame> = games.iter().skip(games.len() - n).collect();
        let alternates = last.iter().all(|g| g.winner.is_some()) && last.windows(2).all(|w| w[0].winner != w[1].winner);
        if !alternates {
            return;
        }
        let events: Vec<Key> = last.iter().map(|g| g.event.clone()).collect();
        let winners: Vec<Option<Key>> = last.iter().map(|g| g.winner.clone()).collect();
        games.clear();
        if replay {
            return;
        }
        for user in [&p.0, &p.1] {
            draft.flags.push(RaisedFlag {
                user: user.clone(),
                flag_type: ActivityFlagType::WinTrading,
                events: events.clone(),
                evidence: json!({"opponent": if *user == p.0 { &p.1 } else { &p.0 }, "winners": winners,
                    "alternations": n, "window_days": policy.fraud.win_trade_window_days}),
            });
        }
    }

    /// Forgets what no event accepted after `now` can read: days before `oldest_day`, cooldowns
    /// and bursts older than the longest cooldown, closed meetups, and fraud history past its
    /// window.
    pub fn prune(&mut self, policy: &Policy, now: DateTime<Utc>, oldest_day: NaiveDate) {
        self.daily.retain(|(d, _), _| *d >= oldest_day);
        self.senders.retain(|(d, _, _)| *d >= oldest_day);
        self.accepters.retain(|(d, _, _)| *d >= oldest_day);
        self.dm_pairs.retain(|(d, _, _), _| *d >= oldest_day);
        self.game_pairs.retain(|(d, _), _| *d >= oldest_day);
        self.joins.retain(|(d, _, _), _| *d >= oldest_day);
        self.join_flagged.retain(|(d, _, _)| *d >= oldest_day);
        // Events are accepted up to 24 h late: anything that far back plus a cooldown is moot.
        let horizon = now - Duration::hours(24);
        let c = &policy.cooldowns;
        let longest = Duration::seconds(i64::from(c.game_opponent_s.max(c.dm_recipient_s).max(c.meetup_rejoin_s)));
        self.dm_last.retain(|_, t| *t > horizon - longest);
        self.game_last.retain(|_, t| *t > horizon - longest);
        self.join_last.retain(|_, t| *t > horizon - longest);
        let burst = Duration::seconds(i64::from(policy.burst.window_s.max(policy.burst.mute_s)));
        self.burst.retain(|_, b| b.times.back().is_some_and(|t| *t > horizon - burst));
        // A meetup is forgotten a day after it closed, and two days after its creation
        // whatever its state (no stay lasts that long), so unclosed rooms cannot pile up.
        self.rooms.retain(|_, r| (!r.closed && r.created_at > horizon - Duration::hours(24)) || r.created_at > horizon);
        let trades = Duration::days(i64::from(policy.fraud.win_trade_window_days));
        self.pair_games.retain(|_, g| g.back().is_some_and(|x| x.at > horizon - trades));
        let cancels = Duration::days(i64::from(policy.fraud.create_cancel_window_days));
        for list in self.hosted.values_mut() {
            list.retain(|h| h.at > horizon - cancels);
        }
        self.hosted.retain(|_, l| !l.is_empty());
        self.cancel_flagged.retain(|_, t| *t > horizon - cancels);
    }

    /// The counts of one user on `day`, against their caps (for the user's day read).
    pub fn day_counts(&self, policy: &Policy, day: NaiveDate, user: &Key) -> Vec<(&'static str, u32, u32)> {
        let d = self.daily.get(&(day, user.clone())).copied().unwrap_or_default();
        let caps = &policy.daily_caps;
        vec![
            ("dms", d.dms, caps.dms),
            ("room_messages", d.room_messages, caps.room_messages),
            ("room_joins", d.room_joins, caps.room_joins),
            ("room_creations", d.room_creations, caps.room_creations),
            ("new_friends", d.new_friends, caps.new_friends),
            ("unique_senders", d.unique_senders, caps.unique_senders),
            ("unique_accepters", d.unique_accepters, caps.unique_accepters),
            ("invites_accepted", d.invites_accepted, caps.invites_accepted),
        ]
    }

    /// The rooms and keyed counts held (for tests and health).
    pub fn size(&self) -> usize {
        self.daily.len() + self.rooms.len() + self.burst.len() + self.dm_last.len() + self.game_last.len()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::model::activity::Parsed;

    struct Game {
        policy: Policy,
        counters: Counters,
        start: DateTime<Utc>,
        n: u32,
    }

    impl Game {
        fn new() -> Self {
            Self {
                policy: Policy::default(),
                counters: Counters::default(),
                start: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
                n: 0,
            }
        }

        /// Judges an event `minutes` after the start.
        fn at(&mut self, minutes: f64, body: Value) -> Verdict {
            self.n += 1;
            let mut body = body.as_object().unwrap().clone();
            body.insert("event_id".into(), json!(format!("e{}", self.n)));
            let at = self.start + Duration::milliseconds((minutes * 60_000.0) as i64);
            body.insert("at".into(), json!(at.to_rfc3339()));
            let Ok(Parsed::Event(e)) = Event::parse(&Value::Object(body), at) else { panic!("bad event") };
            self.counters.judge(&self.policy, &e)
        }
    }

    fn points(v: &Verdict, user: &str) -> i64 {
        v.users.iter().find(|(u, _)| u.as_str() == user).map_or(0, |(_, x)| x.points)
    }

    fn game(a: &str, b: &str, winner: Option<&str>, duration: u32) -> Value {
        json!({"type": "game_completed", "players": [a, b], "winner": winner, "duration_s": duration, "moves": 9})
    }

    #[test]
    fn scenario_1_alice_wins_a_two_minute_game_alice_200_bob_50() {
        let mut g = Game::new();
        let v = g.at(0.0, game("alice", "bob", Some("alice"), 120));
        assert_eq!(v.outcome, Outcome::Counted);
        assert_eq!((points(&v, "alice"), points(&v, "bob")), (200, 50));
    }

    #[test]
    fn scenario_2_charlie_and_dave_only_their_first_two_games_count() {
        let mut g = Game::new();
        let outcomes: Vec<Outcome> = [(0.0, 45), (31.0, 50), (40.0, 40), (50.0, 35), (59.0, 55)]
            .into_iter()
            .map(|(m, d)| g.at(m, game("charlie", "dave", None, d)).outcome)
            .collect();
        use Outcome::*;
        assert_eq!(outcomes, [Counted, Counted, Capped, Capped, Capped]);
        // Within the cooldown but under the cap: cooldown.
        let mut g = Game::new();
        g.at(0.0, game("charlie", "dave", None, 45));
        assert_eq!(g.at(10.0, game("dave", "charlie", None, 45)).outcome, Cooldown);
    }

    #[test]
    fn scenario_3_eve_joins_leaves_is_on_cooldown_then_blocked_and_flagged() {
        let mut g = Game::new();
        g.at(0.0, json!({"type": "room_created", "host": "host", "room": "r"}));
        let join = json!({"type": "room_joined", "user": "eve", "room": "r"});
        let first = g.at(1.0, join.clone());
        assert_eq!(first.outcome, Outcome::Counted);
        let left = g.at(3.0, json!({"type": "room_left", "user": "eve", "room": "r"}));
        assert_eq!((left.outcome, points(&left, "eve")), (Outcome::Invalid, 0));
        assert_eq!(g.at(4.0, join.clone()).outcome, Outcome::Cooldown);
        let third = g.at(5.0, join.clone());
        assert_eq!(third.outcome, Outcome::Blocked);
        assert_eq!(third.flags.len(), 1);
        assert_eq!(third.flags[0].flag_type, ActivityFlagType::RapidJoinLeave);
        assert_eq!(third.flags[0].events.len(), 3);
        let fourth = g.at(6.0, join);
        assert_eq!((fourth.outcome, fourth.flags.len()), (Outcome::Blocked, 0), "later joins blocked, one flag");
    }

    #[test]
    fn a_valid_meetup_pays_its_host_and_its_long_stays_a_cancelled_one_pays_nobody() {
        let mut g = Game::new();
        g.at(0.0, json!({"type": "room_created", "host": "hana", "room": "r"}));
        g.at(1.0, json!({"type": "room_joined", "user": "ivo", "room": "r"}));
        let left = g.at(16.0, json!({"type": "room_left", "user": "ivo", "room": "r"}));
        assert_eq!((points(&left, "ivo"), points(&left, "hana")), (30, 100));
        let ended = g.at(20.0, json!({"type": "room_ended", "host": "hana", "room": "r"}));
        assert_eq!(points(&ended, "hana"), 0, "paid once");
        g.at(30.0, json!({"type": "room_created", "host": "hana", "room": "s"}));
        g.at(31.0, json!({"type": "room_joined", "user": "ivo", "room": "s"}));
        let cancelled = g.at(33.0, json!({"type": "room_cancelled", "host": "hana", "room": "s"}));
        assert!(cancelled.awards.is_empty());
        let late = g.at(50.0, json!({"type": "room_joined", "user": "ivo", "room": "s"}));
        assert_eq!(late.outcome, Outcome::Invalid);
    }

    #[test]
    fn dms_are_capped_per_recipient_cooled_down_and_popularity_goes_to_new_senders_only() {
        let mut g = Game::new();
        let dm = |to: &str| json!({"type": "dm_sent", "from": "ann", "to": to});
        let v = g.at(0.0, dm("bo"));
        assert_eq!((points(&v, "ann"), points(&v, "bo")), (2, 10));
        assert_eq!(g.at(1.0, dm("bo")).outcome, Outcome::Cooldown);
        let v = g.at(6.0, dm("bo"));
        assert_eq!((points(&v, "ann"), points(&v, "bo")), (2, 0));
        for i in 2..10 {
            g.at(6.0 * f64::from(i), dm("bo"));
        }
        assert_eq!(g.at(100.0, dm("bo")).outcome, Outcome::Capped, "10 per recipient a day");
    }

    #[test]
    fn a_burst_of_messages_mutes_the_sender_in_that_channel_only() {
        let mut g = Game::new();
        let msg = json!({"type": "room_message", "user": "spam", "room": "r"});
        let outcomes: Vec<Outcome> = (0..7).map(|i| g.at(f64::from(i) * 0.001, msg.clone()).outcome).collect();
        assert_eq!(&outcomes[..5], &[Outcome::Counted; 5]);
        assert_eq!(outcomes[5], Outcome::Muted);
        assert_eq!(outcomes[6], Outcome::Muted);
        let other = g.at(0.01, json!({"type": "room_message", "user": "spam", "room": "elsewhere"}));
        assert_eq!(other.outcome, Outcome::Counted);
        assert_eq!(g.at(0.3, msg).outcome, Outcome::Counted, "the mute lasts 10 s");
    }

    #[test]
    fn four_alternating_winners_raise_a_win_trading_flag_on_both_players() {
        let mut g = Game::new();
        let mut flags = Vec::new();
        for (i, w) in ["a", "b", "a", "b"].into_iter().enumerate() {
            let v = g.at(f64::from(i as u32) * 24.0 * 60.0, game("a", "b", Some(w), 60));
            assert_eq!(v.outcome, Outcome::Counted);
            flags.extend(v.flags);
        }
        assert_eq!(flags.len(), 2);
        assert!(flags.iter().all(|f| f.flag_type == ActivityFlagType::WinTrading && f.events.len() == 4));
    }

    #[test]
    fn cancelling_most_meetups_raises_a_create_cancel_flag_once() {
        let mut g = Game::new();
        g.policy.daily_caps.room_creations = 100;
        let mut flags = Vec::new();
        for i in 0..6 {
            let room = format!("r{i}");
            g.at(f64::from(i) * 10.0, json!({"type": "room_created", "host": "h", "room": room}));
            if i != 1 {
                flags.extend(
                    g.at(f64::from(i) * 10.0 + 1.0, json!({"type": "room_cancelled", "host": "h", "room": room})).flags,
                );
            }
        }
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].flag_type, ActivityFlagType::CreateCancel);
    }

    #[test]
    fn a_replay_with_the_recorded_outcomes_rebuilds_the_same_counts() {
        let mut g = Game::new();
        let mut log = Vec::new();
        for i in 0..12 {
            let body = game("x", "y", None, 60);
            let v = g.at(f64::from(i) * 31.0, body.clone());
            log.push((i, body, v));
        }
        let mut rebuilt = Counters::default();
        let mut again = Game::new();
        for (i, body, v) in &log {
            let mut b = body.as_object().unwrap().clone();
            b.insert("event_id".into(), json!(format!("e{}", i + 1)));
            let at = again.start + Duration::minutes(i64::from(*i) * 31);
            b.insert("at".into(), json!(at.to_rfc3339()));
            let Ok(Parsed::Event(e)) = Event::parse(&Value::Object(b), at) else { panic!() };
            let recorded = Recorded::of(v);
            rebuilt.replay(&again.policy, &e, &recorded);
        }
        again.counters = rebuilt;
        again.n = 12;
        let next = again.at(12.0 * 31.0, game("x", "y", None, 60));
        let expected = g.at(12.0 * 31.0, game("x", "y", None, 60));
        assert_eq!(next.outcome, expected.outcome);
        assert_eq!(next.outcome, Outcome::Capped);
    }

    #[test]
    fn a_late_event_never_moves_a_cooldown_back() {
        let mut g = Game::new();
        let dm = json!({"type": "dm_sent", "from": "ann", "to": "bo"});
        assert_eq!(g.at(10.0, dm.clone()).outcome, Outcome::Counted);
        assert_eq!(g.at(0.0, dm.clone()).outcome, Outcome::Counted, "ten minutes earlier: outside the cooldown");
        assert_eq!(g.at(11.0, dm).outcome, Outcome::Cooldown, "a minute after the 10:00 one");
    }

    #[test]
    fn a_host_paid_by_their_own_refused_message_is_not_paid_again_after_a_replay() {
        let mut g = Game::new();
        g.policy.daily_caps.room_messages = 0;
        let events = [
            (0.0, json!({"type": "room_created", "host": "hana", "room": "r"})),
            (1.0, json!({"type": "room_joined", "user": "ivo", "room": "r"})),
            (16.0, json!({"type": "room_message", "user": "hana", "room": "r"})),
        ];
        let mut log = Vec::new();
        for (m, body) in events {
            let v = g.at(m, body.clone());
            log.push((m, body, v));
        }
        let paid = &log[2].2;
        assert_eq!(
            (paid.outcome, paid.users[0].1.outcome, paid.users[0].1.points),
            (Outcome::Counted, Outcome::Capped, 100)
        );
        let mut again = Game::new();
        again.policy = g.policy.clone();
        for (i, (m, body, v)) in log.iter().enumerate() {
            let mut b = body.as_object().unwrap().clone();
            b.insert("event_id".into(), json!(format!("e{}", i + 1)));
            let at = again.start + Duration::milliseconds((m * 60_000.0) as i64);
            b.insert("at".into(), json!(at.to_rfc3339()));
            let Ok(Parsed::Event(e)) = Event::parse(&Value::Object(b), at) else { panic!() };
            again.counters.replay(&again.policy, &e, &Recorded::of(v));
        }
        again.n = 3;
        let left = again.at(30.0, json!({"type": "room_left", "user": "ivo", "room": "r"}));
        assert_eq!(left.points(), vec![(&Key::parse("ivo").unwrap(), 30)], "the host was paid once");
    }
}
