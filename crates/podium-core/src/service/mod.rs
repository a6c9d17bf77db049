//! The services: every rule of the API lives here, between the HTTP layer that parses requests
//! and the store that keeps rows. One folder per surface — [`admin`] (accounts, users, API
//! keys, games, boards), [`scores`] (submissions, rankings, anti-cheat flags and reviews),
//! [`clients`] (game clients' sessions, nonces, reads and writes, and the admin side of
//! players), [`community`] (the community site's members and roles), [`activity`] (activity
//! scores: policies, event batches, days and rankings) — each with its service object.

pub mod activity;
pub mod admin;
pub mod clients;
pub mod community;
pub mod patch;
pub mod scores;
pub(crate) mod slugs;

pub use admin::{
    Admin, BoardListQuery, BootstrapOutcome, CACHE_TTL, CreateAccount, CreateApiKey, CreateBoard, CreatedApiKey,
    KeyUses, UpdateAccount, UpdateApiKey, UpdateBoard,
};
pub use admin::{
    CATCH_UP_PER_RUN, CreateGame, CreateTemplate, CreateUser, ScheduleRun, TemplateListQuery, UpdateGame,
    UpdateTemplate, UpdateUser,
};
pub use clients::{
    ClientConfig, ClientGrant, ClientSubmit, Clients, DeviceListQuery, DeviceView, IdentityListQuery, IssuedNonce,
    NameCheck, NameConflict, SessionListQuery, SessionTokens, StartSession, UpdateDevice, UpdateIdentity,
    UpdateSession,
};
pub use patch::Patch;
pub use scores::{
    Audience, EXPORT_MAX, EventListQuery, FlagListQuery, Geo, ReviewFlag, ScoreListQuery, ScoreView, Scores,
    SubmissionMetaQuery, SubmitScore, SubmittedScore, TestFilter, name_key, player_name,
};
