//! Types the browser and the server share: validated ids, roles, image kinds,
//! object keys and the JSON bodies of the API (camelCase on the wire).

pub mod application;
pub mod audit;
pub mod capture;
pub mod id;
pub mod image;
pub mod input;
pub mod integration;
pub mod integrity;
pub mod language;
pub mod lifecycle;
pub mod monitoring;
pub mod redirect;
pub mod search;
pub mod user;
pub mod webhooks;

pub use application::{ApplicationSummary, CaptureSettings};
pub use id::{ApplicationId, IdError, OrganizationId, UserId};
pub use image::{ImageKind, ImageKindError, ObjectKey, ObjectKeyError};
pub use monitoring::{
    DeleteReceipt, FaceBox, ImageList, ImageRef, SignedUrl, SignedUrls, UploadReceipt,
};
pub use user::{CurrentUser, Role, RoleError};
