import { useEffect } from 'react';
import { navigate } from '../../app/router';
import type { PageProps } from '../../app/routes';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { openPatientByIdentifier } from './patient-link';

/** `/stroke/patient?identifier=…`: finds the record server's patient, then opens the patient view in its place. */
export default function OpenPatientPage({ query }: PageProps) {
  const identifiers = query.getAll('identifier');
  const key = identifiers.join('\n');
  const [found] = useAsync(() => openPatientByIdentifier(identifiers), [key]);
  useEffect(() => {
    if (found.state === 'ok') navigate(`/patients/${encodeURIComponent(found.value)}`, true);
  }, [found]);
  return (
    <section>
      <h1>Opening the patient</h1>
      <Loaded value={found}>{() => <p aria-busy="true">Opening…</p>}</Loaded>
    </section>
  );
}
