import { session } from '../../api/session';
import ClientsSection from './ClientsSection';
import UsersSection from './UsersSection';

/**
 * OAuth clients and users, for administrators: list, add, remove through /api/admin/users and
 * /api/admin/clients — the same rules as `imaging-bridge users|clients` (docs/console.md).
 */
export default function AccessPage() {
  if (session().config.auth === 'none')
    return (
      <section>
        <h1>Clients and users</h1>
        <p>
          Authentication is off (<code>--auth none</code>): nobody signs in and no client needs a token, so there are no
          accounts to manage here. Under <code>--auth smart</code> this page lists, adds and removes them; on the
          server, <code>imaging-bridge users|clients add|list|remove --data-dir DIR</code> does the same.
        </p>
      </section>
    );
  return (
    <section>
      <h1>Clients and users</h1>
      <UsersSection />
      <ClientsSection />
    </section>
  );
}
