//! Variables of a leaderboard's categories and their values: the leaderboard's moderators (and
//! site admins) create, rename, assign, unassign and delete them; anyone reads them. A variable
//! has 2–100 values with slugs unique in it, and is assigned to at least one category of its
//! leaderboard — unassigned from the last one, it is deleted.
//!
//! Defaults: assigning a variable as `required` needs a `default` value; any default given
//! fills the runs of that category that give no value of the variable, once, in the same
//! transaction, and is not stored. Unassigning clears the variable's values on the runs of
//! that category; deleting a value moves its runs to the replacement, or clears it from them
//! (refused with a 422 on `replacement` when the variable is required in any category and
//! runs use the value).

use serde::Deserialize;

use super::{Community, MemberPrincipal};
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{CategoryId, LeaderboardId, VariableId, VariableValueId};
use crate::model::community::{Assignment, Variable, VariableSlug, VariableValue};
use crate::model::{Name, Slug};
use crate::service::Patch;
use crate::service::slugs::conflict;
use crate::store::{RunEdits, StoreError};
use crate::time::now;

/// Most values a variable has.
pub const MAX_VALUES: usize = 100;

/// A value as given.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueInput {
    /// Display name, 1–100 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Unique in the variable; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
}

/// A variable's assignment to a category, as given.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignVariable {
    /// A category of the variable's leaderboard.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// Every run of the category must give a value (default `false`).
    #[serde(default)]
    pub required: Option<bool>,
    /// Runs with different values rank apart (default `false`).
    #[serde(default)]
    pub obsoleting: Option<bool>,
    /// The value (slug or `val_…` id) that fills the category's existing runs; needed when
    /// `required`. Not stored.
    #[serde(default)]
    pub default: Option<String>,
}

/// `POST /v1/community/variables`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVariable {
    /// The leaderboard.
    #[serde(default)]
    pub leaderboard_id: Option<LeaderboardId>,
    /// Display name, 1–100 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Two or more lowercase letters with single underscores; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// 2–100 values.
    #[serde(default)]
    pub values: Option<Vec<ValueInput>>,
    /// The categories it is assigned to (at least one).
    #[serde(default)]
    pub categories: Option<Vec<AssignVariable>>,
}

/// `PATCH /v1/community/variables/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVariable {
    /// New name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
}

/// `PATCH /v1/community/variable-values/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateValue {
    /// New name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
}

/// Parses one value; `field` prefixes its fields (`values[2].`).
fn parse_value(
    input: &ValueInput,
    variable: VariableId,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<VariableValue> {
    let name = errors.parse_required(&format!("{field}name"), input.name.as_deref(), Name::parse);
    let slug = match &input.slug {
        Some(s) => errors.check(&format!("{field}slug"), Slug::parse(s)),
        None => Some(Slug::from_name(input.name.as_deref().unwrap_or_default(), "value")),
    };
    Some(VariableValue { id: VariableValueId::generate(), variable_id: variable, name: name?, slug: slug? })
}

/// A derived slug that steps aside (`-2`, `-3`, …) when another value has it: a slug the
/// caller did not choose never makes a request fail.
fn unique_slug(slug: Slug, values: &[VariableValue]) -> Slug {
    let taken = |s: &Slug| values.iter().any(|v| &v.slug == s);
    if !taken(&slug) {
        return slug;
    }
    (2..=(values.len() as u32 + 2)).map(|n| slug.with_suffix(n)).find(|s| !taken(s)).unwrap_or(slug)
}

/// [`conflict`], and a deleted value that runs need (the variable is required where they use
/// it) as a 422 asking for a replacement.
fn run_edit_conflict(e: StoreError) -> ServiceError {
    match &e {
        StoreError::Conflict { constraint } if constraint == "value_in_use" => {
            ServiceError::field("replacement", FieldCode::Required)
        }
        _ => conflict(e),
    }
}

/// The value a default names (by slug or id).
fn find_value<'a>(values: &'a [VariableValue], named: &str) -> Option<&'a VariableValue> {
    values.iter().find(|v| v.slug.as_str() == named || v.id.to_string() == named)
}

impl Community {
    /// Writes a variable edited from the copy read at `read_at`: 409 when it changed meanwhile
    /// (no edit silently undoes another) or a category it names was deleted meanwhile.
    async fn save_variable(
        &self,
        variable: &Variable,
        read_at: chrono::DateTime<chrono::Utc>,
        edits: &RunEdits,
    ) -> ServiceResult<()> {
        let before = self.admin.store().get_variable(variable.id).await?;
        self.admin.store().update_variable(variable, read_at, edits).await.map_err(run_edit_conflict)?;
        let categories = before.iter().flat_map(|v| v.categories.iter()).chain(variable.categories.iter());
        self.reset_categories(categories.map(|a| a.category_id)).await
    }

    /// Resets the rankings of the categories a variable edit touched (each once).
    async fn reset_categories(&self, categories: impl Iterator<Item = CategoryId>) -> ServiceResult<()> {
        let categories: std::collections::BTreeSet<CategoryId> = categories.collect();
        for category in categories {
            self.reset_rankings(category).await?;
        }
        Ok(())
    }

    async fn moderate_variables(&self, p: &MemberPrincipal, leaderboard: LeaderboardId) -> ServiceResult<()> {
        if self.moderates(p, leaderboard).await? {
            Ok(())
        } else {
            Err(ServiceError::forbidden("only this leaderboard's moderators and site admins change its variables"))
        }
    }

    /// Checks an assignment against the variable's leaderboard and values; `field` prefixes
    /// its fields.
    async fn parse_assignment(
        &self,
        input: &AssignVariable,
        leaderboard: LeaderboardId,
        values: &[VariableValue],
        field: &str,
        errors: &mut FieldErrors,
        edits: &mut RunEdits,
    ) -> ServiceResult<Option<Assignment>> {
        let Some(category_id) = input.category_id else {
            errors.add(format!("{field}category_id"), FieldCode::Required);
            return Ok(None);
        };
        let category = self.admin.store().get_category(category_id).await?;
        if category.is_none_or(|c| c.leaderboard_id != leaderboard) {
            errors.add(format!("{field}category_id"), FieldCode::NotFound);
        }
        let required = input.required.unwrap_or(false);
        match input.default.as_deref() {
            None if required => errors.add(format!("{field}default"), FieldCode::Required),
            None => {}
            Some(d) => match find_value(values, d) {
                Some(v) => edits.fill.push((category_id, v.id)),
                None => errors.add(format!("{field}default"), FieldCode::NotFound),
            },
        }
        Ok(Some(Assignment { category_id, required, obsoleting: input.obsoleting.unwrap_or(false) }))
    }

    /// Creates a variable with its values and assignments.
    pub async fn create_variable(&self, p: &MemberPrincipal, cmd: CreateVariable) -> ServiceResult<Variable> {
        let Some(leaderboard_id) = cmd.leaderboard_id else {
            return Err(ServiceError::field("leaderboard_id", FieldCode::Required));
        };
        if self.admin.store().get_leaderboard(leaderboard_id).await?.is_none() {
            return Err(ServiceError::field("leaderboard_id", FieldCode::NotFound));
        }
        self.moderate_variables(p, leaderboard_id).await?;
        let id = VariableId::generate();
        let mut errors = FieldErrors::new();
        let name = errors.parse_required("name", cmd.name.as_deref(), Name::parse);
        let slug = match &cmd.slug {
            Some(s) => errors.check("slug", VariableSlug::parse(s)),
            None => Some(VariableSlug::from_name(cmd.name.as_deref().unwrap_or_default(), "variable")),
        };
        let inputs = cmd.values.unwrap_or_default();
        if inputs.len() < 2 {
            errors.add("values", FieldCode::TooFew);
        }
        if inputs.len() > MAX_VALUES {
            errors.add("values", FieldCode::TooMany);
        }
        let mut values: Vec<VariableValue> = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.iter().enumerate() {
            if let Some(mut v) = parse_value(input, id, &format!("values[{i}]."), &mut errors) {
                if input.slug.is_none() {
                    v.slug = unique_slug(v.slug, &values);
                }
                if values.iter().any(|o| o.slug == v.slug) {
                    errors.add(format!("values[{i}].slug"), FieldCode::Duplicate);
                }
                values.push(v);
            }
        }
        let assignments = cmd.categories.unwrap_or_default();
        let mut edits = RunEdits::default();
        if assignments.is_empty() {
            errors.add("categories", FieldCode::TooFew);
        }
        let mut categories: Vec<Assignment> = Vec::with_capacity(assignments.len());
        for (i, input) in assignments.iter().enumerate() {
            let field = format!("categories[{i}].");
            if let Some(a) =
                self.parse_assignment(input, leaderboard_id, &values, &field, &mut errors, &mut edits).await?
            {
                if categories.iter().any(|o| o.category_id == a.category_id) {
                    errors.add(format!("{field}category_id"), FieldCode::Duplicate);
                }
                categories.push(a);
            }
        }
        errors.into_result()?;
        let (Some(name), Some(slug)) = (name, slug) else {
            return Err(ServiceError::new(ErrorCode::Internal, "validated fields went missing"));
        };
        let at = now();
        let variable = Variable { id, leaderboard_id, name, slug, values, categories, created_at: at, updated_at: at };
        self.admin.store().insert_variable(&variable, &edits).await.map_err(conflict)?;
        self.reset_categories(variable.categories.iter().map(|a| a.category_id)).await?;
        Ok(variable)
    }

    /// A variable (anyone).
    pub async fn get_variable(&self, id: VariableId) -> ServiceResult<Variable> {
        self.admin.store().get_variable(id).await?.ok_or_else(|| ServiceError::not_found("variable"))
    }

    /// The variables assigned to a category (anyone).
    pub async fn category_variables(&self, category: CategoryId) -> ServiceResult<Vec<Variable>> {
        self.get_category(category).await?;
        Ok(self.admin.store().variables_of(category).await?)
    }

    /// Renames a variable.
    pub async fn update_variable(
        &self,
        p: &MemberPrincipal,
        id: VariableId,
        cmd: UpdateVariable,
    ) -> ServiceResult<Variable> {
        let mut variable = self.get_variable(id).await?;
        let read_at = variable.updated_at;
        self.moderate_variables(p, variable.leaderboard_id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.name.required("name", &mut errors) {
            variable.name = errors.check("name", Name::parse(&name)).unwrap_or(variable.name);
        }
        if let Some(slug) = cmd.slug.required("slug", &mut errors) {
            variable.slug = errors.check("slug", VariableSlug::parse(&slug)).unwrap_or(variable.slug);
        }
        errors.into_result()?;
        variable.updated_at = now();
        self.save_variable(&variable, read_at, &RunEdits::default()).await?;
        Ok(variable)
    }

    /// Assigns a variable to a category, or changes its flags there.
    pub async fn assign_variable(
        &self,
        p: &MemberPrincipal,
        id: VariableId,
        cmd: AssignVariable,
    ) -> ServiceResult<Variable> {
        let mut variable = self.get_variable(id).await?;
        let read_at = variable.updated_at;
        self.moderate_variables(p, variable.leaderboard_id).await?;
        let mut errors = FieldErrors::new();
        let mut edits = RunEdits::default();
        let assignment =
            self.parse_assignment(&cmd, variable.leaderboard_id, &variable.values, "", &mut errors, &mut edits).await?;
        errors.into_result()?;
        let Some(assignment) = assignment else {
            return Err(ServiceError::field("category_id", FieldCode::Required));
        };
        match variable.categories.iter_mut().find(|a| a.category_id == assignment.category_id) {
            Some(existing) => *existing = assignment,
            None => variable.categories.push(assignment),
        }
        variable.updated_at = now();
        self.save_variable(&variable, read_at, &edits).await?;
        Ok(variable)
    }

    /// Unassigns a variable from a category; returns `None` when that was its last category
    /// and the variable was deleted.
    pub async fn unassign_variable(
        &self,
        p: &MemberPrincipal,
        id: VariableId,
        category: CategoryId,
    ) -> ServiceResult<Option<Variable>> {
        let mut variable = self.get_variable(id).await?;
        let read_at = variable.updated_at;
        self.moderate_variables(p, variable.leaderboard_id).await?;
        let before = variable.categories.len();
        variable.categories.retain(|a| a.category_id != category);
        if variable.categories.len() == before {
            return Err(ServiceError::not_found("assignment"));
        }
        variable.updated_at = now();
        self.save_variable(&variable, read_at, &RunEdits::default()).await?;
        Ok((!variable.categories.is_empty()).then_some(variable))
    }

    /// Deletes a variable everywhere (= unassigned from every category).
    pub async fn delete_variable(&self, p: &MemberPrincipal, id: VariableId) -> ServiceResult<()> {
        let variable = self.get_variable(id).await?;
        self.moderate_variables(p, variable.leaderboard_id).await?;
        self.admin.store().delete_variable(id).await?;
        self.reset_categories(variable.categories.iter().map(|a| a.category_id)).await
    }

    /// Adds a value to a variable.
    pub async fn add_value(
        &self,
        p: &MemberPrincipal,
        id: VariableId,
        cmd: ValueInput,
    ) -> ServiceResult<VariableValue> {
        let mut variable = self.get_variable(id).await?;
        let read_at = variable.updated_at;
        self.moderate_variables(p, variable.leaderboard_id).await?;
        let mut errors = FieldErrors::new();
        let mut value = parse_value(&cmd, id, "", &mut errors);
        if let Some(v) = value.as_mut()
            && cmd.slug.is_none()
        {
            v.slug = unique_slug(v.slug.clone(), &variable.values);
        }
        if variable.values.len() >= MAX_VALUES {
            errors.add("name", FieldCode::TooMany);
        }
        if let Some(v) = &value
            && variable.values.iter().any(|o| o.slug == v.slug)
        {
            errors.add("slug", FieldCode::Duplicate);
        }
        errors.into_result()?;
        let Some(value) = value else { return Err(ServiceError::field("name", FieldCode::Required)) };
        variable.values.push(value.clone());
        variable.updated_at = now();
        self.save_variable(&variable, read_at, &RunEdits::default()).await?;
        Ok(value)
    }

    /// A value (anyone).
    pub async fn get_value(&self, id: VariableValueId) -> ServiceResult<VariableValue> {
        let variable =
            self.admin.store().variable_of_value(id).await?.ok_or_else(|| ServiceError::not_found("variable value"))?;
        variable.values.into_iter().find(|v| v.id == id).ok_or_else(|| ServiceError::not_found("variable value"))
    }

    /// Renames a value.
    pub async fn update_value(
        &self,
        p: &MemberPrincipal,
        id: VariableValueId,
        cmd: UpdateValue,
    ) -> ServiceResult<VariableValue> {
        let mut variable =
            self.admin.store().variable_of_value(id).await?.ok_or_else(|| ServiceError::not_found("variable value"))?;
        let read_at = variable.updated_at;
        self.moderate_variables(p, variable.leaderboard_id).await?;
        let mut errors = FieldErrors::new();
        let name = cmd.name.required("name", &mut errors);
        let slug = cmd.slug.required("slug", &mut errors);
        let others: Vec<Slug> = variable.values.iter().filter(|v| v.id != id).map(|v| v.slug.clone()).collect();
        let Some(value) = variable.values.iter_mut().find(|v| v.id == id) else {
            return Err(ServiceError::not_found("variable value"));
        };
        if let Some(name) = name {
            value.name = errors.check("name", Name::parse(&name)).unwrap_or(value.name.clone());
        }
        if let Some(slug) = slug {
            value.slug = errors.check("slug", Slug::parse(&slug)).unwrap_or(value.slug.clone());
            if others.contains(&value.slug) {
                errors.add("slug", FieldCode::Duplicate);
            }
        }
        errors.into_result()?;
        let value = value.clone();
        variable.updated_at = now();
        self.save_variable(&variable, read_at, &RunEdits::default()).await?;
        Ok(value)
    }

    /// Deletes a value, with an optional replacement (another value of the same variable that
    /// the runs using it will take). A variable keeps at least two values (409).
    pub async fn delete_value(
        &self,
        p: &MemberPrincipal,
        id: VariableValueId,
        replacement: Option<VariableValueId>,
    ) -> ServiceResult<()> {
        let mut variable =
            self.admin.store().variable_of_value(id).await?.ok_or_else(|| ServiceError::not_found("variable value"))?;
        let read_at = variable.updated_at;
        self.moderate_variables(p, variable.leaderboard_id).await?;
        if let Some(r) = replacement
            && (r == id || !variable.values.iter().any(|v| v.id == r))
        {
            return Err(ServiceError::field("replacement", FieldCode::NotFound));
        }
        if variable.values.len() <= 2 {
            return Err(ServiceError::new(ErrorCode::Conflict, "a variable keeps at least two values"));
        }
        variable.values.retain(|v| v.id != id);
        variable.updated_at = now();
        self.save_variable(&variable, read_at, &RunEdits { fill: Vec::new(), replace: vec![(id, replacement)] }).await
    }
}
