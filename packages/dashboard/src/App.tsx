import { AuthProvider, useAuth } from './auth/AuthContext';
import { SignInPage } from './auth/SignInPage';
import { LiveEventsProvider } from './events/LiveEventsContext';
import { I18nProvider } from './i18n/I18nContext';
import { Shell } from './shell/Shell';

function SignedInOrNot() {
  const { session } = useAuth();
  if (!session) return <SignInPage />;
  // The event stream is for tenant users; the operator's pages poll what they show.
  if (session.kind === 'operator') return <Shell />;
  return (
    <LiveEventsProvider token={session.token}>
      <Shell />
    </LiveEventsProvider>
  );
}

export function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <SignedInOrNot />
      </AuthProvider>
    </I18nProvider>
  );
}
