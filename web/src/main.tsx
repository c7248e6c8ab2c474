import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { startSession } from './api/session';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
startSession().then(
  () =>
    root.render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  (e: unknown) =>
    root.render(
      <StrictMode>
        <App startError={(e as Error).message} />
      </StrictMode>,
    ),
);
