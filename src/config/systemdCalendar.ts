// bluegreen:consul.servers.snapshotSchedule is written into a systemd timer (OnCalendar=). systemd
// refuses an expression it cannot parse and the timer never fires: the snapshots would silently stop.
// The grammar of systemd.time(7), "Calendar Events": an optional weekday list, an optional date
// `[year-]month-day`, an optional time `hour:minute[:second]` and an optional time zone, or one of
// the shorthands; each date and time field is `*`, a value, a list `a,b`, a range `a..b` or a
// repetition `a/n`; `~` before the day counts from the month's end.
import { hasControlCharacter } from "./controlCharacters";

const SHORTHANDS = ["minutely", "hourly", "daily", "monthly", "weekly", "yearly", "annually", "quarterly", "semiannually"];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** What is wrong with an OnCalendar expression, or undefined when systemd would accept it. */
export function calendarProblem(expression: string): string | undefined {
    if (hasControlCharacter(expression)) {
        return "it has a control character (a newline would add directives of its own to the timer unit)";
    }
    const words = expression.trim().split(/\s+/).filter((w) => w !== "");
    if (words.length === 0) {
        return "it is empty";
    }
    if (words.length === 1 && SHORTHANDS.includes(words[0].toLowerCase())) {
        return undefined;
    }
    let i = 0;
    if (/^[A-Za-z]/.test(words[i]) && !isTimeZone(words[i], i, words.length)) {
        const problem = weekdaysProblem(words[i]);
        if (problem) {
            return problem;
        }
        i++;
    }
    let sawDateOrTime = false;
    if (i < words.length && /[-~]/.test(words[i])) {
        const problem = dateProblem(words[i]);
        if (problem) {
            return problem;
        }
        i++;
        sawDateOrTime = true;
    }
    if (i < words.length && words[i].includes(":")) {
        const problem = timeProblem(words[i]);
        if (problem) {
            return problem;
        }
        i++;
        sawDateOrTime = true;
    }
    if (i < words.length && isTimeZone(words[i], i, words.length)) {
        i++;
    }
    if (i < words.length) {
        return `${JSON.stringify(words[i])} is no weekday, date, time or time zone in its place`;
    }
    return sawDateOrTime || i > 0 ? undefined : "it names no weekday, date or time";
}

function isTimeZone(word: string, index: number, count: number): boolean {
    return index === count - 1 && index > 0 && (word === "UTC" || /^[A-Z][A-Za-z_+-]*(\/[A-Za-z0-9_+-]+)+$/.test(word));
}

function weekdaysProblem(word: string): string | undefined {
    for (const part of word.split(",")) {
        const ends = part.split("..");
        if (ends.length > 2 || ends.some((d) => !WEEKDAYS.includes(d.toLowerCase()))) {
            return `weekday ${JSON.stringify(part)} is not a weekday or a range of them (Mon..Fri, Sat,Sun)`;
        }
    }
    return undefined;
}

function dateProblem(word: string): string | undefined {
    const tilde = word.indexOf("~");
    const separators = word.replace(/[^-~]/g, "");
    const fields = word.split(/[-~]/);
    if (fields.length < 2 || fields.length > 3 || (tilde >= 0 && separators.indexOf("~") !== separators.length - 1)) {
        return `date ${JSON.stringify(word)} is not [year-]month-day (a "~" only before the day)`;
    }
    const [year, month, day] = fields.length === 3 ? fields : [undefined, ...fields];
    return (
        (year !== undefined ? fieldProblem("year", year, 1970, 2199) : undefined) ??
        fieldProblem("month", month as string, 1, 12) ??
        fieldProblem("day", day as string, 1, 31)
    );
}

function timeProblem(word: string): string | undefined {
    const fields = word.split(":");
    if (fields.length < 2 || fields.length > 3) {
        return `time ${JSON.stringify(word)} is not hour:minute[:second]`;
    }
    return fieldProblem("hour", fields[0], 0, 23) ?? fieldProblem("minute", fields[1], 0, 59) ?? (fields[2] !== undefined ? fieldProblem("second", fields[2], 0, 59, true) : undefined);
}

function fieldProblem(name: string, text: string, min: number, max: number, fraction = false): string | undefined {
    const number = fraction ? "\\d+(?:\\.\\d+)?" : "\\d+";
    const item = new RegExp(`^(?:\\*|${number}(?:\\.\\.${number})?)(?:/${number})?$`);
    for (const part of text.split(",")) {
        if (!item.test(part)) {
            return `${name} ${JSON.stringify(part)} is not *, a number, a range a..b or a repetition a/n`;
        }
        const values = part
            .split("/")[0]
            .split("..")
            .filter((v) => v !== "*")
            .map(Number);
        if (values.some((v) => v < min || v > max)) {
            return `${name} ${JSON.stringify(part)} is outside ${min}..${max}`;
        }
        if (values.length === 2 && values[0] > values[1]) {
            return `${name} range ${JSON.stringify(part)} runs backwards`;
        }
    }
    return undefined;
}
