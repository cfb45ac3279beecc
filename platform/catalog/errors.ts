/** Base class of every error the catalog throws. */
export class CatalogError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CatalogError";
  }
}

/** An option of the catalog that cannot describe a stack (a partition count that is not one). */
export class CatalogOptionsError extends CatalogError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CatalogOptionsError";
  }
}
