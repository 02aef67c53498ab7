import { createBrowserRouter, type RouteObject } from "react-router";
import { RequireAuth } from "./auth/RequireAuth";
import { AppLayout } from "./layout/AppLayout";
import { DeadLettersPage } from "./screens/admin/DeadLettersPage";
import { AccountPage } from "./screens/account/AccountPage";
import { ForgotPasswordPage } from "./screens/auth/ForgotPasswordPage";
import { ResetPasswordPage } from "./screens/auth/ResetPasswordPage";
import { SignInPage } from "./screens/auth/SignInPage";
import { SignUpPage } from "./screens/auth/SignUpPage";
import { VerifyEmailPage } from "./screens/auth/VerifyEmailPage";
import { BatchListPage } from "./screens/batches/BatchListPage";
import { BatchPage } from "./screens/batches/BatchPage";
import { ComposePage } from "./screens/compose/ComposePage";
import { ContactsPage } from "./screens/contacts/ContactsPage";
import { DashboardPage } from "./screens/dashboard/DashboardPage";
import { EmailDetailPage } from "./screens/emails/EmailDetailPage";
import { EmailListPage } from "./screens/emails/EmailListPage";
import { InboxMessagePage } from "./screens/inbox/InboxMessagePage";
import { InboxPage } from "./screens/inbox/InboxPage";
import { ApiKeysPage } from "./screens/keys/ApiKeysPage";
import { NotFoundPage } from "./screens/NotFoundPage";
import { SuppressionsPage } from "./screens/suppressions/SuppressionsPage";
import { TemplateEditPage } from "./screens/templates/TemplateEditPage";
import { TemplateListPage } from "./screens/templates/TemplateListPage";
import { UnsubscribePage } from "./screens/unsubscribe/UnsubscribePage";
import { EndpointPage } from "./screens/webhooks/EndpointPage";
import { WebhooksPage } from "./screens/webhooks/WebhooksPage";

export const routes: RouteObject[] = [
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/sign-up", element: <SignUpPage /> },
  // Where the links in account emails lead (identity/mailing.py): signed in or not.
  { path: "/verify-email", element: <VerifyEmailPage /> },
  { path: "/forgot-password", element: <ForgotPasswordPage /> },
  { path: "/reset-password", element: <ResetPasswordPage /> },
  // Where an email's unsubscribe link leads its recipient: no account needed.
  { path: "/unsubscribe/:token", element: <UnsubscribePage /> },
  {
    element: (
      <RequireAuth>
        <AppLayout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <DashboardPage /> },
      { path: "compose", element: <ComposePage /> },
      { path: "emails", element: <EmailListPage /> },
      { path: "emails/batches", element: <BatchListPage /> },
      { path: "emails/batches/:id", element: <BatchPage /> },
      { path: "emails/:id", element: <EmailDetailPage /> },
      { path: "templates", element: <TemplateListPage /> },
      { path: "templates/new", element: <TemplateEditPage /> },
      { path: "templates/:id", element: <TemplateEditPage /> },
      { path: "contacts", element: <ContactsPage /> },
      { path: "suppressions", element: <SuppressionsPage /> },
      { path: "webhooks", element: <WebhooksPage /> },
      { path: "webhooks/:id", element: <EndpointPage /> },
      { path: "keys", element: <ApiKeysPage /> },
      { path: "account", element: <AccountPage /> },
      {
        path: "admin/dlq",
        element: (
          <RequireAuth admin>
            <DeadLettersPage />
          </RequireAuth>
        ),
      },
      { path: "dev/inbox", element: <InboxPage /> },
      { path: "dev/inbox/:id", element: <InboxMessagePage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];

export const router = createBrowserRouter(routes);
