import { billing, shipping } from "../../../contexts";
import { BillingError, type InvoiceRequest, InvoiceLedger, InvoiceNumbers, invoices, numbers, taxIncludedIn } from "../../../contexts/billing/domain";
import { handler as computeTax } from "../../../contexts/billing/tasks/compute-tax";
import { handler as issueInvoice } from "../../../contexts/billing/tasks/issue-invoice";
import { handler as reserveInvoiceNumber } from "../../../contexts/billing/tasks/reserve-invoice-number";
import { handler as voidInvoiceNumber } from "../../../contexts/billing/tasks/void-invoice-number";
import { FAILURE_STATE } from "../../../platform/model";
import { examples } from "../consumers/deliveries";
import { runWorkflow } from "./run-workflow";

const request = (orderId: string, totalCents = 12_000, currency = "EUR"): InvoiceRequest => ({
  orderId,
  customerId: "c-1",
  totalCents,
  currency,
});

/** Shipping's ShipmentDispatched for the order, as billing's correlator receives it. */
const dispatchOf = (orderId: string) => ({
  event: shipping.events.ShipmentDispatched,
  key: `shp-${orderId}`,
  data: { ...examples.dispatched, orderId, shipmentId: `shp-${orderId}` },
  state: "Dispatched",
});

describe("billing domain", () => {
  it("finds the tax a tax-inclusive total contains, to the cent, net + tax = total", () => {
    expect(taxIncludedIn(12_000, "EUR")).toEqual({ rateBasisPoints: 2_000, netCents: 10_000, taxCents: 2_000 });
    expect(taxIncludedIn(1_250, "EUR")).toEqual({ rateBasisPoints: 2_000, netCents: 1_042, taxCents: 208 });
    expect(taxIncludedIn(10_810, "CHF")).toEqual({ rateBasisPoints: 810, netCents: 10_000, taxCents: 810 });
    expect(taxIncludedIn(4_500, "USD")).toEqual({ rateBasisPoints: 0, netCents: 4_500, taxCents: 0 });
  });

  it("refuses a currency without a tax rate, by a name a Catch can match", () => {
    const act = () => taxIncludedIn(1_000, "JPY");
    expect(act).toThrow(BillingError);
    expect(act).toThrow(expect.objectContaining({ name: "UnsupportedCurrency", message: "No tax rate for currency JPY: the order cannot be invoiced automatically." }));
  });

  it("numbers invoices consecutively, once per order, and voids without reusing", () => {
    const series = new InvoiceNumbers();
    expect(series.reserve("o-1")).toBe("INV-000001");
    expect(series.reserve("o-2")).toBe("INV-000002");
    expect(series.reserve("o-1")).toBe("INV-000001");
    expect(series.void("o-2")).toBe("INV-000002");
    expect(series.void("o-2")).toBe("INV-000002");
    expect(series.void("o-never")).toBeUndefined();
    expect(series.isVoided("INV-000002")).toBe(true);
    expect(series.reserve("o-3")).toBe("INV-000003");
  });

  it("issues one invoice per order: the same again is a no-op, a different one a conflict", () => {
    const ledger = new InvoiceLedger();
    const invoice = { ...request("o-1"), shipmentId: "shp-o-1", invoiceId: "inv-o-1", invoiceNumber: "INV-000001", netCents: 10_000, taxCents: 2_000, taxRateBasisPoints: 2_000 };
    expect(ledger.issue(invoice)).toBe(invoice);
    expect(ledger.issue({ ...invoice })).toBe(invoice);
    expect(() => ledger.issue({ ...invoice, invoiceNumber: "INV-000009" })).toThrow(
      expect.objectContaining({ name: "InvoiceConflict", message: "Order o-1 already has invoice INV-000001 over 12000; refusing INV-000009 over 12000." }),
    );
    expect(ledger.taxCents("EUR")).toBe(2_000);
    expect(ledger.taxCents("GBP")).toBe(0);
  });
});

describe("billing tasks", () => {
  it("ComputeTax adds the tax, or fails with UnsupportedCurrency", async () => {
    expect(await computeTax(request("o-tax"))).toEqual({ ...request("o-tax"), tax: { rateBasisPoints: 2_000, netCents: 10_000, taxCents: 2_000 } });
    await expect(computeTax(request("o-tax-jpy", 1_000, "JPY"))).rejects.toMatchObject({ name: "UnsupportedCurrency" });
  });

  it("ReserveInvoiceNumber adds the order's number, the same one each time", async () => {
    const first = await reserveInvoiceNumber(request("o-num"));
    expect(first.invoiceNumber).toMatch(/^INV-\d{6}$/);
    expect(await reserveInvoiceNumber(request("o-num"))).toEqual(first);
  });

  it("IssueInvoice turns the prepared parts into the invoice and records it", async () => {
    const invoice = await issueInvoice({
      ...request("o-issue"),
      prepared: { invoiceNumber: "INV-999001", tax: { rateBasisPoints: 2_000, netCents: 10_000, taxCents: 2_000 } },
      dispatch: dispatchOf("o-issue").data,
    });
    expect(invoice).toEqual({ ...request("o-issue"), shipmentId: "shp-o-issue", invoiceId: "inv-o-issue", invoiceNumber: "INV-999001", netCents: 10_000, taxCents: 2_000, taxRateBasisPoints: 2_000 });
    expect(invoices.invoiceOf("o-issue")).toEqual(invoice);
  });

  it("VoidInvoiceNumber voids the order's reserved number, and tolerates none", async () => {
    const { invoiceNumber } = await reserveInvoiceNumber(request("o-void"));
    const failed = { ...request("o-void"), error: { Error: "UnsupportedCurrency", Cause: "no rate" } };
    expect(await voidInvoiceNumber(failed)).toEqual({ ...failed, voidedNumber: invoiceNumber });
    expect(numbers.isVoided(invoiceNumber)).toBe(true);
    expect(await voidInvoiceNumber({ ...failed, orderId: "o-void-none" })).toEqual({ ...failed, orderId: "o-void-none" });
  });
});

describe("the billing workflow", () => {
  it("waits for the dispatch, computes the tax and reserves the number in parallel, then issues the invoice and publishes InvoiceIssued", async () => {
    // Act
    const run = await runWorkflow(billing, request("o-wf", 18_000, "GBP"), { awaited: { events: [dispatchOf("o-wf")], at: "waiting" } });

    // Assess
    expect(run.status).toBe("SUCCEEDED");
    expect(run.tasks.slice(0, 2).sort()).toEqual(["ComputeTax", "ReserveInvoiceNumber"]);
    expect(run.tasks.slice(2)).toEqual(["IssueInvoice"]);
    expect(run.published).toHaveLength(1);
    const [issued] = run.published;
    expect(issued).toMatchObject({ type: "billing.InvoiceIssued", key: "inv-o-wf", state: "Issued", mapIndex: undefined });
    expect(issued!.data).toEqual({
      invoiceId: "inv-o-wf",
      invoiceNumber: invoices.invoiceOf("o-wf")!.invoiceNumber,
      orderId: "o-wf",
      customerId: "c-1",
      shipmentId: "shp-o-wf",
      currency: "GBP",
      netCents: 15_000,
      taxCents: 3_000,
      totalCents: 18_000,
      taxRateBasisPoints: 2_000,
    });
    expect(run.output).not.toHaveProperty("prepared");
  });

  it("takes a dispatch that came before the wait, and issues the same invoice when run again for the same order", async () => {
    const first = await runWorkflow(billing, request("o-wf-twice"), { awaited: { events: [dispatchOf("o-wf-twice")], at: "before" } });
    const again = await runWorkflow(billing, request("o-wf-twice"), { executionId: "arn:aws:states:local:000000000000:execution:test:run-2", awaited: { events: [dispatchOf("o-wf-twice")], at: "waiting" } });
    expect(first.status).toBe("SUCCEEDED");
    expect(first.published.map((p) => (p.data as { shipmentId: string }).shipmentId)).toEqual(["shp-o-wf-twice"]);
    expect(again.published.map((p) => p.data)).toEqual(first.published.map((p) => p.data));
  });

  it("voids the number, fails, and publishes its failure milestone InvoiceFailed with the reason when the currency has no tax rate", async () => {
    const run = await runWorkflow(billing, request("o-wf-jpy", 5_000, "JPY"), { awaited: { events: [dispatchOf("o-wf-jpy")], at: "waiting" } });

    expect(run).toMatchObject({ status: "FAILED", error: "UnsupportedCurrency" });
    // Once, from the Announce state before the Fail state, under the execution's one failure id.
    expect(run.published).toEqual([
      {
        type: "billing.InvoiceFailed",
        key: "o-wf-jpy",
        state: FAILURE_STATE,
        mapIndex: undefined,
        data: {
          orderId: "o-wf-jpy",
          customerId: "c-1",
          totalCents: 5_000,
          currency: "JPY",
          reason: "UnsupportedCurrency",
          detail: "The order's currency has no tax rate: no invoice was issued and its number was voided.",
        },
      },
    ]);
    expect(run.tasks).toContain("ComputeTax");
    expect(run.tasks.at(-1)).toBe("VoidInvoiceNumber");
    expect(invoices.invoiceOf("o-wf-jpy")).toBeUndefined();
    // The number branch may or may not have reserved before the tax branch failed; if it did, the number is void.
    if (run.tasks.includes("ReserveInvoiceNumber")) expect(numbers.isVoided(numbers.reserve("o-wf-jpy"))).toBe(true);
  });
});
