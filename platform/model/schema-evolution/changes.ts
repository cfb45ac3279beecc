/**
 * What changed between two releases of an event's schema, judged from the reader's side: records
 * already in the topic (replays and redrives included) must still validate against the new schema,
 * and consumer code must still find every field it read.
 */
export const ChangeKind = {
  // Breaking: a record or a reader that worked before may not now.
  FieldRemoved: "FieldRemoved",
  RequiredFieldAdded: "RequiredFieldAdded",
  MadeRequired: "MadeRequired",
  TypeChanged: "TypeChanged",
  TypeNarrowed: "TypeNarrowed",
  EnumValueRemoved: "EnumValueRemoved",
  ConstChanged: "ConstChanged",
  ConstraintTightened: "ConstraintTightened",
  /** An event with readers at release is no longer declared: its records would reach no one. */
  EventRemoved: "EventRemoved",
  /** Something the comparator cannot judge: never taken as safe. */
  Unknown: "Unknown",
  // Not breaking: everything valid before is valid now.
  OptionalFieldAdded: "OptionalFieldAdded",
  MadeOptional: "MadeOptional",
  TypeWidened: "TypeWidened",
  EnumValueAdded: "EnumValueAdded",
  ConstraintLoosened: "ConstraintLoosened",
  AnnotationChanged: "AnnotationChanged",
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

const BREAKING: ReadonlySet<ChangeKind> = new Set([
  ChangeKind.FieldRemoved,
  ChangeKind.RequiredFieldAdded,
  ChangeKind.MadeRequired,
  ChangeKind.TypeChanged,
  ChangeKind.TypeNarrowed,
  ChangeKind.EnumValueRemoved,
  ChangeKind.ConstChanged,
  ChangeKind.ConstraintTightened,
  ChangeKind.EventRemoved,
  ChangeKind.Unknown,
]);

export interface SchemaChange {
  /** Where, from the event's data: `data.lines[].sku`; `data.*` is a record's values. */
  readonly path: string;
  readonly kind: ChangeKind;
  readonly breaking: boolean;
  readonly message: string;
}

export const schemaChange = (path: string, kind: ChangeKind, message: string): SchemaChange => ({ path, kind, breaking: BREAKING.has(kind), message });

/** `data.total: field removed`, as messages and the lock file show a change. */
export const changeText = (change: SchemaChange): string => `${change.path}: ${change.message}`;
