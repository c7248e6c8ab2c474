import { describe, expect, it } from 'vitest';
import { parseAuditSyslogConfig } from './syslog-config.js';

describe('audit syslog configuration', () => {
  it('parses security.auditSyslog and refuses bad values clearly', () => {
    expect(parseAuditSyslogConfig(undefined)).toBeUndefined();
    expect(parseAuditSyslogConfig({ issuers: [] })).toBeUndefined();
    expect(parseAuditSyslogConfig({ auditSyslog: { host: 'arr.example', port: 514 } })).toEqual({
      host: 'arr.example',
      port: 514,
      protocol: 'udp',
      maxMessageBytes: 2048,
    });
    expect(
      parseAuditSyslogConfig({ auditSyslog: { host: 'arr', port: 6514, protocol: 'tls', ca: '/etc/ca.pem' } }),
    ).toEqual({ host: 'arr', port: 6514, protocol: 'tls', ca: '/etc/ca.pem', maxMessageBytes: 8192 });
    expect(() =>
      parseAuditSyslogConfig({ auditSyslog: { host: 'arr', port: 514, protocol: 'tcp', ca: '/etc/ca.pem' } }),
    ).toThrow(/auditSyslog.ca: only with "protocol": "tls"/);
    expect(() =>
      parseAuditSyslogConfig({ auditSyslog: { host: 'arr', port: 514, protocol: 'tls', cert: '/c.pem' } }),
    ).toThrow(/cert and key go together/);
    expect(() => parseAuditSyslogConfig({ auditSyslog: { host: 'arr', port: 514, maxMessageBytes: 100 } })).toThrow(
      /maxMessageBytes/,
    );
    expect(() => parseAuditSyslogConfig({ auditSyslog: { host: 'arr', port: 70000, protocol: 'tcp' } })).toThrow(
      /auditSyslog.port/,
    );
    expect(() => parseAuditSyslogConfig({ auditSyslog: { host: 'arr', port: 514, protocol: 'relp' } })).toThrow(
      /protocol/,
    );
  });
});
