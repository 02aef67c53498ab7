// Names for the API's shapes, taken from the generated schema so they never drift from it.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type User = Schemas["UserOut"];
export type Session = Schemas["SessionOut"];
export type ApiKey = Schemas["ApiKeyOut"];
export type CreatedApiKey = Schemas["CreatedApiKeyOut"];
export type ApiKeyInput = Schemas["ApiKeyIn"];
export type Scope = Schemas["Scope"];
export type ErrorBody = Schemas["ErrorBody"];
export type FieldError = Schemas["FieldError"];
export type SendRequest = Schemas["SendRequest"];
export type Accepted = Schemas["Accepted"];
export type Email = Schemas["EmailOut"];
export type EmailSummary = Schemas["EmailSummary"];
export type EmailPage = Schemas["EmailPage"];
export type EmailStats = Schemas["EmailStats"];
export type SeriesPoint = Schemas["SeriesPoint"];
export type Recipient = Schemas["RecipientOut"];
export type TimelineEntry = Schemas["TimelineEntry"];
export type Attachment = Schemas["AttachmentIn"];
export type Template = Schemas["TemplateOut"];
export type TemplateInput = Schemas["TemplateIn"];
export type Preview = Schemas["PreviewOut"];
export type Contact = Schemas["ContactOut"];
export type ContactInput = Schemas["ContactIn"];
export type DeadLetter = Schemas["DeadLetter"];
export type ReplayRequest = Schemas["ReplayRequest"];
export type ReplayResult = Schemas["ReplayResult"];
export type InboxItem = Schemas["InboxItem"];
export type InboxMessage = Schemas["MessageDetail"];

export type EmailStatus = Email["status"];
export type EventType = Schemas["EventType"];
export type WebhookEndpoint = Schemas["EndpointOut"];
export type CreatedWebhookEndpoint = Schemas["EndpointCreated"];
export type WebhookEndpointInput = Schemas["EndpointIn"];
export type WebhookDelivery = Schemas["DeliveryOut"];
export type WebhookAttempt = Schemas["AttemptOut"];
export type Suppression = Schemas["SuppressionOut"];
export type ListedSuppression = Schemas["ListedSuppression"];
export type SuppressionReason = Suppression["reason"];
export type BatchSummary = Schemas["BatchSummary"];
export type Batch = Schemas["BatchOut"];
export type BatchItemResult = Schemas["BatchItemResult"];
