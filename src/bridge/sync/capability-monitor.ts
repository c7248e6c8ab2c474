/** The target's capabilities, checked at start-up and again while the target has not answered. */
import type { Logger } from 'pino';
import type { FhirClient } from '../../fhir/client/index.js';
import { assessCapabilities, unreachableReport, type CapabilityReport } from './capability-check.js';
import { describeFailure } from './failures.js';

export class CapabilityMonitor {
  private report: CapabilityReport | undefined;
  private inFlight: Promise<CapabilityReport> | undefined;

  constructor(
    private readonly client: FhirClient,
    private readonly target: string,
    private readonly logger: Logger,
    private readonly onReport: (r: CapabilityReport) => void = () => {},
  ) {}

  current(): CapabilityReport | undefined {
    return this.report;
  }

  /** The last report if the target answered; otherwise asks again (one request at a time). */
  async ensure(): Promise<CapabilityReport> {
    if (this.report?.reachable) return this.report;
    return this.check();
  }

  check(): Promise<CapabilityReport> {
    this.inFlight ??= this.fetch().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetch(): Promise<CapabilityReport> {
    const base = { checkedAt: new Date().toISOString(), target: this.target, baseUrl: this.client.baseUrl };
    let report: CapabilityReport;
    try {
      report = assessCapabilities(await this.client.capabilities(), base);
    } catch (e) {
      report = unreachableReport(base, describeFailure(e));
    }
    const changed = JSON.stringify({ ...report, checkedAt: '' }) !== JSON.stringify({ ...this.report, checkedAt: '' });
    this.report = report;
    if (changed) {
      const log = {
        target: report.target,
        baseUrl: report.baseUrl,
        fhirVersion: report.fhirVersion,
        transaction: report.transaction,
        problems: report.problems,
      };
      if (!report.reachable) this.logger.warn(log, 'FHIR sync target not reachable; studies wait in the outbox');
      else if (!report.usable) this.logger.error(log, 'FHIR sync target lacks what the bridge needs');
      else this.logger.info(log, 'FHIR sync target checked');
      this.onReport(report);
    }
    return report;
  }
}
