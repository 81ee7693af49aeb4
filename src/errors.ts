/** An error in something the user handed us (a file, a flag, a config): the message names the problem. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** A model or tokenizer file that cannot be read: the message names the file and what is wrong with it. */
export class ModelFileError extends InputError {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "ModelFileError";
    this.path = path;
  }
}
