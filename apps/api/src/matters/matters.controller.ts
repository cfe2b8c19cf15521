import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  UnsupportedMediaTypeException,
} from "@nestjs/common";
import { listQuery, matterId, newMatter, parse } from "./matter-input.ts";
import { MattersService } from "./matters.service.ts";

/** POST /v1/matters, GET /v1/matters, GET /v1/matters/:id. */
@Controller("v1/matters")
export class MattersController {
  readonly #matters: MattersService;

  constructor(@Inject(MattersService) matters: MattersService) {
    this.#matters = matters;
  }

  @Post()
  @HttpCode(201)
  async create(@Headers("content-type") contentType: string | undefined, @Body() body: unknown) {
    if (!(contentType ?? "").toLowerCase().startsWith("application/json")) {
      throw new UnsupportedMediaTypeException("send the body as JSON with content-type: application/json");
    }
    return { matter: await this.#matters.create(parse(newMatter, body)) };
  }

  @Get()
  async list(@Query() query: Record<string, unknown>) {
    return { matters: await this.#matters.list(parse(listQuery, query)) };
  }

  @Get(":id")
  get(@Param("id") id: string) {
    return this.#matters.get(parse(matterId, id));
  }
}
