// Which minutes a canary judgement covers: never a minute before the step was written, never a
// minute CloudWatch has not published yet, at most the configured window.
import { expect } from "chai";
import { analysisWindow } from "../../src/metrics/analysisWindow";

const t = (hhmmss: string) => new Date(`2026-12-01T${hhmmss}Z`);
const iso = (w: ReturnType<typeof analysisWindow>) => w && { start: w.start.toISOString().slice(11, 19), end: w.end.toISOString().slice(11, 19), seconds: w.seconds, full: w.full };

describe("the canary analysis window", () => {
    it("a step older than the window: the whole window, ending at the last published minute", () => {
        expect(iso(analysisWindow(t("10:20:30"), t("10:00:00"), 300))).to.deep.equal({ start: "10:14:00", end: "10:19:00", seconds: 300, full: true });
        // Exactly one window plus the publish delay after a step written on the minute.
        expect(iso(analysisWindow(t("10:06:00"), t("10:00:00"), 300))).to.deep.equal({ start: "10:00:00", end: "10:05:00", seconds: 300, full: true });
    });

    it("a younger step: only the whole minutes since it was written (its own minute held the previous split)", () => {
        expect(iso(analysisWindow(t("10:20:30"), t("10:16:10"), 300))).to.deep.equal({ start: "10:17:00", end: "10:19:00", seconds: 120, full: false });
        expect(iso(analysisWindow(t("10:20:30"), t("10:17:59.999"), 300))).to.deep.equal({ start: "10:18:00", end: "10:19:00", seconds: 60, full: false });
    });

    it("no window while no whole minute since the step has been published", () => {
        expect(analysisWindow(t("10:20:30"), t("10:18:00.001"), 300)).to.equal(undefined);
        expect(analysisWindow(t("10:20:30"), t("10:19:00"), 300)).to.equal(undefined);
        expect(analysisWindow(t("10:20:30"), t("10:20:00"), 300)).to.equal(undefined);
        // A clock behind the step's stamp (another machine's) gives no window either, never a negative one.
        expect(analysisWindow(t("10:20:30"), t("10:25:00"), 300)).to.equal(undefined);
    });

    it("every window of a random step and moment is whole minutes, within the configured length, after the step and before now less a minute", () => {
        let seed = 7;
        const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        for (let i = 0; i < 2000; i++) {
            const step = Date.parse("2026-12-01T10:00:00Z") + Math.floor(random() * 3_600_000);
            const now = step + Math.floor(random() * 1_800_000) - 60_000;
            const windowSeconds = 60 * (1 + Math.floor(random() * 60));
            const w = analysisWindow(new Date(now), new Date(step), windowSeconds);
            if (w === undefined) {
                expect(Math.floor((now - 60_000) / 60_000) * 60_000, `no window at ${now} for ${step}`).to.be.at.most(Math.ceil(step / 60_000) * 60_000);
                continue;
            }
            expect(w.start.getTime() % 60_000).to.equal(0);
            expect(w.end.getTime() % 60_000).to.equal(0);
            expect(w.start.getTime()).to.be.at.least(step);
            expect(w.end.getTime()).to.be.at.most(now - 60_000);
            expect(w.seconds).to.equal((w.end.getTime() - w.start.getTime()) / 1000);
            expect(w.seconds).to.be.within(60, windowSeconds);
            expect(w.full).to.equal(w.seconds === windowSeconds);
        }
    });
});
