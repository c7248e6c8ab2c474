import { type ComponentType, lazy, type LazyExoticComponent } from 'react';

export interface PageProps {
  params: Map<string, string>;
  query: URLSearchParams;
}

/**
 * Every page of the console. Adding one: a folder under pages/ with a default-exported
 * component, and one entry here (pages load on demand, so the first page stays small).
 */
export interface PageRoute {
  path: string;
  title: string;
  page: LazyExoticComponent<ComponentType<PageProps>>;
  /** Shown in the navigation, in this group. */
  nav?: 'Clinical' | 'Operations';
  /** Any one of these roles; others see why the page is refused (the API refuses it too). */
  roles?: readonly string[];
}

const STEWARD = ['data-steward', 'administrator'];

export const ROUTES: PageRoute[] = [
  { path: '/', title: 'Find a patient', nav: 'Clinical', page: lazy(() => import('../pages/search/SearchPage')) },
  { path: '/worklist', title: 'Worklist', nav: 'Clinical', page: lazy(() => import('../pages/worklist/WorklistPage')) },
  { path: '/patients/:id', title: 'Patient', page: lazy(() => import('../pages/patient/PatientPage')) },
  { path: '/studies/:study', title: 'Study', page: lazy(() => import('../pages/study/StudyPage')) },
  { path: '/stroke', title: 'Stroke', nav: 'Clinical', page: lazy(() => import('../pages/stroke/StrokePage')) },
  { path: '/stroke/patient', title: 'Patient', page: lazy(() => import('../pages/stroke/OpenPatientPage')) },
  {
    path: '/patients/:id/tumor-board',
    title: 'Tumor board',
    page: lazy(() => import('../pages/tumor-board/TumorBoardPage')),
  },
  {
    path: '/status',
    title: 'System status',
    nav: 'Operations',
    page: lazy(() => import('../pages/status/StatusPage')),
  },
  {
    path: '/data-quality',
    title: 'Data quality',
    nav: 'Operations',
    roles: STEWARD,
    page: lazy(() => import('../pages/quality/QualityPage')),
  },
  {
    path: '/sync',
    title: 'FHIR sync',
    nav: 'Operations',
    roles: STEWARD,
    page: lazy(() => import('../pages/sync/SyncPage')),
  },
  {
    path: '/sources',
    title: 'PACS sources',
    nav: 'Operations',
    roles: STEWARD,
    page: lazy(() => import('../pages/sources/SourcesPage')),
  },
  {
    path: '/audit',
    title: 'Audit log',
    nav: 'Operations',
    roles: ['administrator'],
    page: lazy(() => import('../pages/audit/AuditPage')),
  },
  {
    path: '/access',
    title: 'Clients and users',
    nav: 'Operations',
    roles: ['administrator'],
    page: lazy(() => import('../pages/access/AccessPage')),
  },
  {
    path: '/assessment',
    title: 'Readiness assessment',
    nav: 'Operations',
    roles: ['administrator'],
    page: lazy(() => import('../pages/assessment/AssessmentPage')),
  },
];
