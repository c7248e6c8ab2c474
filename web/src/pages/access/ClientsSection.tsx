import { type FormEvent, useState } from 'react';
import { deleteResource, getJson, postJson } from '../../api/http';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';

interface Client {
  clientId: string;
  auth: string;
  role: string;
  scope: string;
  jwksUri?: string;
  keys?: number;
  redirectUris: string[];
  createdAt: string;
}

const ROLES = ['ai-service', 'clinician', 'radiologist', 'data-steward', 'administrator'];
type Credentials = 'secret' | 'jwksUri' | 'jwks' | 'public';

/** OAuth clients: backend services (a key set or a generated secret) and apps used by people (redirect URIs). */
export default function ClientsSection() {
  const [list, reload] = useAsync(() => getJson<{ clients: Client[] }>('/api/admin/clients'), []);
  const [error, setError] = useState<string>();
  const remove = async (clientId: string) => {
    setError(undefined);
    try {
      await deleteResource(`/api/admin/clients/${encodeURIComponent(clientId)}`);
      reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="card">
      <h2>OAuth clients</h2>
      <Loaded value={list}>
        {({ clients }) => (
          <table className="clients">
            <caption>{clients.length === 1 ? '1 client' : `${clients.length} clients`}</caption>
            <thead>
              <tr>
                <th scope="col">Client id</th>
                <th scope="col">Authentication</th>
                <th scope="col">Role</th>
                <th scope="col">Scope</th>
                <th scope="col">Redirect URIs</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {clients.map((c) => (
                <tr key={c.clientId}>
                  <td>{c.clientId}</td>
                  <td>
                    {c.auth}
                    {c.jwksUri ? ` (${c.jwksUri})` : c.keys ? ` (${c.keys} key${c.keys > 1 ? 's' : ''})` : ''}
                  </td>
                  <td>{c.role}</td>
                  <td>
                    <code>{c.scope}</code>
                  </td>
                  <td>{c.redirectUris.join(' ')}</td>
                  <td>
                    <button type="button" onClick={() => void remove(c.clientId)} aria-label={`Remove ${c.clientId}`}>
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
      <AddClient onDone={reload} />
    </div>
  );
}

function AddClient({ onDone }: { onDone: () => void }) {
  const empty = { clientId: '', scope: '', role: 'ai-service', credentials: 'secret' as Credentials, value: '' };
  const [form, setForm] = useState(empty);
  const [error, setError] = useState<string>();
  const [secret, setSecret] = useState<{ clientId: string; secret: string }>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSecret(undefined);
    try {
      const body: Record<string, unknown> = { clientId: form.clientId, scope: form.scope, role: form.role };
      if (form.credentials === 'secret') body.generateSecret = true;
      else if (form.credentials === 'jwksUri') body.jwksUri = form.value;
      else if (form.credentials === 'jwks') body.jwks = parseJson(form.value);
      else body.redirectUris = form.value.split(/\s+/).filter(Boolean);
      const added = await postJson<{ client: Client; secret?: string }>('/api/admin/clients', body);
      if (added.secret) setSecret({ clientId: added.client.clientId, secret: added.secret });
      setForm(empty);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const valueLabel = { secret: '', jwksUri: 'JWK Set URL', jwks: 'Public JWK Set (JSON)', public: 'Redirect URIs' };
  return (
    <>
      <form className="filters" onSubmit={(e) => void submit(e)} aria-label="Register a client">
        <label>
          Client id
          <input
            name="clientId"
            required
            value={form.clientId}
            onChange={(e) => setForm({ ...form, clientId: e.target.value })}
          />
        </label>
        <label>
          Scope
          <input
            name="scope"
            required
            placeholder="system/ImagingStudy.rs"
            value={form.scope}
            onChange={(e) => setForm({ ...form, scope: e.target.value })}
          />
        </label>
        <label>
          Role
          <select name="role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Credentials
          <select
            name="credentials"
            value={form.credentials}
            onChange={(e) => setForm({ ...form, credentials: e.target.value as Credentials, value: '' })}
          >
            <option value="secret">generated secret (client_secret_basic)</option>
            <option value="jwksUri">JWK Set URL (private_key_jwt)</option>
            <option value="jwks">JWK Set (private_key_jwt)</option>
            <option value="public">public app (PKCE, redirect URIs)</option>
          </select>
        </label>
        {form.credentials !== 'secret' && (
          <label>
            {valueLabel[form.credentials]}
            <input
              name="credentialValue"
              required
              value={form.value}
              onChange={(e) => setForm({ ...form, value: e.target.value })}
            />
          </label>
        )}
        <button type="submit" disabled={busy}>
          Register client
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {secret && (
        <p role="status" className="secret">
          Secret of <strong>{secret.clientId}</strong> (shown this once, only its hash is kept):{' '}
          <code>{secret.secret}</code>
        </p>
      )}
    </>
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the JWK Set is not JSON');
  }
}
