import { createBrowserRouter, type RouteObject } from "react-router";
import { RequireAuth } from "./auth/RequireAuth";
import { AppLayout } from "./layout/AppLayout";
import { DeadLettersPage } from "./screens/admin/DeadLettersPage";
import { SignInPage } from "./screens/auth/SignInPage";
import { SignUpPage } from "./screens/auth/SignUpPage";
import { ComposePage } from "./screens/compose/ComposePage";
import { ContactsPage } from "./screens/contacts/ContactsPage";
import { DashboardPage } from "./screens/dashboard/DashboardPage";
import { EmailDetailPage } from "./screens/emails/EmailDetailPage";
import { EmailListPage } from "./screens/emails/EmailListPage";
import { InboxMessagePage } from "./screens/inbox/InboxMessagePage";
import { InboxPage } from "./screens/inbox/InboxPage";
import { NotFoundPage } from "./screens/NotFoundPage";
import { TemplateEditPage } from "./screens/templates/TemplateEditPage";
import { TemplateListPage } from "./screens/templates/TemplateListPage";

export const routes: RouteObject[] = [
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/sign-up", element: <SignUpPage /> },
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
      { path: "emails/:id", element: <EmailDetailPage /> },
      { path: "templates", element: <TemplateListPage /> },
      { path: "templates/new", element: <TemplateEditPage /> },
      { path: "templates/:id", element: <TemplateEditPage /> },
      { path: "contacts", element: <ContactsPage /> },
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
