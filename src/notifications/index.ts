/** FHIR R4 Subscriptions (rest-hook, websocket) over the embedded server's writes. */
export { parseNotificationsConfig, type NotificationsConfig } from './config.js';
export { NotificationService, type NotificationOptions } from './service.js';
export { WEBSOCKET_PATH } from './websocket/server.js';
