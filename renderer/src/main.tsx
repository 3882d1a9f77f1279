// Entry point: find the engine (Electron bridge or the daemon's socket) and render the window.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { connect, connectionMonitor, desktopHost } from './client/connect.js';
import './styles/theme.css';
import './styles/layout.css';
import './styles/views.css';
import './styles/dialogs.css';
import './styles/pending.css';

const client = connect();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App client={client} desktop={desktopHost()} connection={connectionMonitor()} />
  </StrictMode>,
);
