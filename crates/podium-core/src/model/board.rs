//! Boards: where scores are ranked. The type decides what an entry is (game-boards spec §4)
//! and cannot change after creation; the direction and keep strategy decide the order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Name, Slug, Text};
use crate::id::{AccountId, BoardId, GameId, TemplateId};
use crate::page::{SortValue, Sortable};
use crate::time::to_micros;

crate::wire_enum!(
    /// What an entry on the board is.
    BoardType {
        /// One entry per player, kept by the keep strategy.
        RunIdentity => "RUN_IDENTITY",
        /// Every accepted submission is its own entry.
        RunRuns => "RUN_RUNS",
        /// Each submission adds a delta to the player's total.
        Counter => "COUNTER",
        /// Derived: numerator ÷ denominator of two COUNTER boards.
        Ratio => "RATIO",
    }
);

crate::wire_enum!(
    /// Which values rank higher.
    SortDirection {
        /// Larger is better (default).
        Descending => "DESCENDING",
        /// Smaller is better (times).
        Ascending => "ASCENDING",
    }
);

crate::wire_enum!(
    /// Which of a player's values a RUN_IDENTITY board keeps.
    KeepStrategy {
        /// The best in the board's direction (default).
        Best => "BEST",
        /// The first accepted.
        First => "FIRST",
        /// The newest accepted.
        Latest => "LATEST",
        /// Not applicable: reported by every type other than RUN_IDENTITY.
        Na => "NA",
    }
);

crate::wire_enum!(
    /// What a RATIO entry holds when the denominator is zero.
    ZeroDenominator {
        /// No entry (the player is not ranked).
        Null => "NULL",
        /// The ratio is 0.
        Zero => "ZERO",
        /// The ratio is +∞ (ranks above every finite ratio on a descending board).
        Infinity => "INFINITY",
    }
);

crate::wire_enum!(
    /// How a RATIO value is displayed.
    RatioDisplay {
        /// The scaled ratio.
        Raw => "RAW",
        /// The scaled ratio × 100 with a `%` sign.
        Percent => "PERCENT",
    }
);

/// The configuration of a RATIO board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatioConfig {
    /// The COUNTER board whose total is the numerator.
    pub numerator_board_id: BoardId,
    /// The COUNTER board whose total is the denominator.
    pub denominator_board_id: BoardId,
    /// Multiplier applied to the ratio (default 1).
    #[serde(default = "one")]
    pub scale: f64,
    /// A player needs at least this numerator to be ranked (default 0).
    #[serde(default)]
    pub min_numerator: f64,
    /// A player needs at least this denominator to be ranked (default 0).
    #[serde(default)]
    pub min_denominator: f64,
    /// What a zero denominator yields (default `NULL`).
    #[serde(default = "zero_denominator_default")]
    pub zero_denominator: ZeroDenominator,
    /// Display form (default `RAW`).
    #[serde(default = "display_default")]
    pub display: RatioDisplay,
    /// Decimal places in the display form, 0–10 (default 2).
    #[serde(default = "two")]
    pub decimals: u8,
}

fn one() -> f64 {
    1.0
}
fn two() -> u8 {
    2
}
fn zero_denominator_default() -> ZeroDenominator {
    ZeroDenominator::Null
}
fn display_default() -> RatioDisplay {
    RatioDisplay::Raw
}

/// Longest description.
pub const DESCRIPTION_MAX: usize = 2000;
/// Longest icon reference.
pub const ICON_MAX: usize = 512;
/// Longest unit.
pub const UNIT_MAX: usize = 32;
/// Longest tag.
pub const TAG_MAX: usize = 32;
/// Most tags on a board.
pub const TAGS_MAX: usize = 20;

/// A board.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Board {
    /// `brd_…`
    pub id: BoardId,
    /// The owning account.
    pub account_id: AccountId,
    /// The owning game.
    pub game_id: GameId,
    /// Display name.
    pub name: Name,
    /// Unique per game among live boards; generated from the name when absent.
    pub slug: Slug,
    /// A short unique code, generated (e.g. `K7Q2XM`).
    pub short_code: String,
    /// Free text.
    pub description: Option<Text<{ DESCRIPTION_MAX }>>,
    /// An icon name or URL.
    pub icon: Option<Text<{ ICON_MAX }>>,
    /// The unit of values (`points`, `ms`).
    pub unit: Option<Text<{ UNIT_MAX }>>,
    /// Labels for grouping boards.
    pub tags: Vec<Text<{ TAG_MAX }>>,
    /// Immutable after creation.
    pub board_type: BoardType,
    /// Which values rank higher.
    pub sort_direction: SortDirection,
    /// RUN_IDENTITY only; `NA` on other types.
    pub keep_strategy: KeepStrategy,
    /// Inactive boards refuse submissions.
    pub is_active: bool,
    /// Published boards are visible to game clients.
    pub is_published: bool,
    /// Submissions before this time are refused.
    pub starts_at: Option<DateTime<Utc>>,
    /// Submissions after this time are refused.
    pub ends_at: Option<DateTime<Utc>>,
    /// Player names must be unique across boards with this flag.
    pub unique_player_names: bool,
    /// Lowest plausible value.
    pub min_value: Option<f64>,
    /// Highest plausible value.
    pub max_value: Option<f64>,
    /// RATIO only.
    pub ratio_config: Option<RatioConfig>,
    /// The template that stamped this board out, if any.
    pub template_id: Option<TemplateId>,
    /// Its number in the template's series (1 for the first), if stamped out.
    pub series: Option<i64>,
    /// When its period began by the template's schedule (its `starts_at` may be later, or
    /// edited since); what the scheduler counts the next period from.
    #[serde(skip)]
    pub period_start: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted (only ever seen in the answer to the deleting `PATCH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Board {
    /// A board that is not stored anywhere, with every optional field empty and the given
    /// type, direction and bounds (simulations, such as `podium anticheat-eval`, and tests).
    pub fn unsaved(
        board_type: BoardType,
        sort_direction: SortDirection,
        min_value: Option<f64>,
        max_value: Option<f64>,
    ) -> Self {
        let at = crate::time::from_micros(0);
        Self {
            id: BoardId::generate(),
            account_id: AccountId::generate(),
            game_id: GameId::generate(),
            name: Name::from_trusted("simulated".into()),
            slug: Slug::from_trusted("simulated".into()),
            short_code: "SIM000".into(),
            description: None,
            icon: None,
            unit: None,
            tags: Vec::new(),
            board_type,
            sort_direction,
            keep_strategy: if board_type == BoardType::RunIdentity { KeepStrategy::Best } else { KeepStrategy::Na },
            is_active: true,
            is_published: false,
            starts_at: None,
            ends_at: None,
            unique_player_names: false,
            min_value,
            max_value,
            ratio_config: None,
            template_id: None,
            series: None,
            period_start: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        }
    }

    /// Fields `GET /v1/boards` can sort by (besides `id`).
    pub const SORTABLE: &'static [&'static str] = &["name", "slug", "short_code", "created_at", "updated_at"];

    /// Fields a template's boards can sort by (`series` is set on every one of them).
    pub const SORTABLE_IN_TEMPLATE: &'static [&'static str] =
        &["series", "name", "slug", "short_code", "created_at", "updated_at"];
}

impl Sortable for Board {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "name" => SortValue::Text(self.name.to_string()),
            "slug" => SortValue::Text(self.slug.to_string()),
            "short_code" => SortValue::Text(self.short_code.clone()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            "series" => SortValue::Int(self.series.unwrap_or_default()),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}
