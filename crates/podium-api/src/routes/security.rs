//! How each surface router declares its authentication scheme for the OpenAPI document: a
//! router passes its routes through [`require`] with the [`Scheme`] its handlers' extractors
//! enforce, so the document says what the code does without matching paths.

use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// What a group of routes authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Nothing (health, session start and refresh).
    None,
    /// An admin API key, in `leadr-api-key` or `authorization: Bearer`.
    ApiKey,
    /// A game client session's access token, in `authorization: Bearer`.
    ClientToken,
    /// A community member's token, in `authorization: Bearer`.
    MemberToken,
}

impl Scheme {
    /// The alternatives a request may satisfy (empty: no security requirement).
    fn requirements(self) -> Vec<SecurityRequirement> {
        let none = Vec::<String>::new;
        match self {
            Self::None => Vec::new(),
            Self::ApiKey => {
                vec![SecurityRequirement::new("api_key", none()), SecurityRequirement::new("bearer", none())]
            }
            Self::ClientToken => vec![SecurityRequirement::new("bearer", none())],
            Self::MemberToken => vec![SecurityRequirement::new("member_token", none())],
        }
    }
}

/// Declares `scheme` on every operation of `router` (and registers the schemes it names).
pub fn require(mut router: OpenApiRouter<AppState>, scheme: Scheme) -> OpenApiRouter<AppState> {
    let doc = router.get_openapi_mut();
    let requirements = scheme.requirements();
    if !requirements.is_empty() {
        let components = doc.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("leadr-api-key"))));
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        if scheme == Scheme::MemberToken {
            components.add_security_scheme(
                "member_token",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("pcm_…")
                        .description(Some("A community member's token from POST /v1/community/login"))
                        .build(),
                ),
            );
        }
    }
    for item in doc.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.post, &mut item.patch, &mut item.delete, &mut item.put].into_iter().flatten()
        {
            op.security = (!requirements.is_empty()).then(|| requirements.clone());
        }
    }
    router
}
