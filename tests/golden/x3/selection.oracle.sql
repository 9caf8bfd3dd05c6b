SELECT :param_1 AS sydtyp, "SEED"."BTASK"."TSKNUM_0" AS sydkey, to_char("SEED"."BTASK"."UPDDATTIM_0", :to_char_1) AS upd 
FROM "SEED"."BTASK" 
WHERE "SEED"."BTASK"."TSKREP_0" = :rep AND "SEED"."BTASK"."TSKNUM_0" >= :lo AND nullif("SEED"."BTASK"."TSKSTR_0", :param_2) >= :since AND coalesce(LENGTH(trim("SEED"."BTASK"."TSKCOR_0")), :coalesce_1) = :coalesce_2
