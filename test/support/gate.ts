// A promise and the function that settles it: a step one part of a test waits on until another
// part opens it, so "while the first holds the lock" is an event, not a sleep.

export interface Gate {
  opened: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
