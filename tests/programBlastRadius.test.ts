// The whole program's blast radius (index.ts): the same suite as tests/trafficPolicy.test.ts runs
// over stand-ins, here against the real program with the real server cluster wired.
import { describeFlipBlastRadius } from "./blastRadius";

describeFlipBlastRadius("the whole program (index.ts)", undefined);
