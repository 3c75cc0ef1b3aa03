// The whole program's blast radius (index.ts, with the server cluster, mesh services and traffic
// side wired): the suite of tests/mesh/trafficPolicy.test.ts, here against the real program. One
// service among 100 is checked over stand-ins there and for the whole program by `npm run bench`
// (two whole-program plans of 100 services take close to a minute).
import { describeFlipBlastRadius } from "../support/blastRadius";

describeFlipBlastRadius("the whole program (index.ts)", undefined, { amongHundred: false });
