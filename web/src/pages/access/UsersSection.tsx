import { type FormEvent, useState } from 'react';
import { deleteResource, getJson, postJson } from '../../api/http';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';

interface User {
  username: string;
  role: string;
  fhirUser?: string;
  patient?: string;
  createdAt: string;
}

const ROLES = ['clinician', 'radiologist', 'data-steward', 'administrator'];

/** People who sign in (authorization code + PKCE); passwords are never shown, only set. */
export default function UsersSection() {
  const [list, reload] = useAsync(() => getJson<{ users: User[] }>('/api/admin/users'), []);
  const [error, setError] = useState<string>();
  const remove = async (username: string) => {
    setError(undefined);
    try {
      await deleteResource(`/api/admin/users/${encodeURIComponent(username)}`);
      reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="card">
      <h2>Users</h2>
      <Loaded value={list}>
        {({ users }) => (
          <table className="users">
            <caption>{users.length === 1 ? '1 user' : `${users.length} users`}</caption>
            <thead>
              <tr>
                <th scope="col">User name</th>
                <th scope="col">Role</th>
                <th scope="col">FHIR user</th>
                <th scope="col">Patient</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.username}>
                  <td>{u.username}</td>
                  <td>{u.role}</td>
                  <td>{u.fhirUser ?? ''}</td>
                  <td>{u.patient ?? ''}</td>
                  <td>{u.createdAt.replace('T', ' ').slice(0, 19)}</td>
                  <td>
                    <button type="button" onClick={() => void remove(u.username)} aria-label={`Remove ${u.username}`}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <AddUser onDone={reload} />
    </div>
  );
}

function AddUser({ onDone }: { onDone: () => void }) {
  const [form, setForm] = useState({ username: '', password: '', role: 'clinician', fhirUser: '', patient: '' });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const field = (name: keyof typeof form) => ({
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await postJson('/api/admin/users', {
        username: form.username,
        password: form.password,
        role: form.role,
        ...(form.fhirUser ? { fhirUser: form.fhirUser } : {}),
        ...(form.patient ? { patient: form.patient } : {}),
      });
      setForm({ username: '', password: '', role: 'clinician', fhirUser: '', patient: '' });
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="filters" onSubmit={(e) => void submit(e)} aria-label="Add a user">
      <label>
        User name
        <input name="username" required autoComplete="off" {...field('username')} />
      </label>
      <label>
        Password (8 characters or more)
        <input
          name="password"
          type="password"
          required
          minLength={8}
          autoComplete="new-password"
          {...field('password')}
        />
      </label>
      <label>
        Role
        <select name="role" {...field('role')}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        FHIR user (optional)
        <input name="fhirUser" placeholder="Practitioner/123" {...field('fhirUser')} />
      </label>
      <label>
        Patient (optional)
        <input name="patient" {...field('patient')} />
      </label>
      <button type="submit" disabled={busy}>
        Add user
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
