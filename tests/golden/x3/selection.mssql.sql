SELECT :param_1 AS sydtyp, [SEED].[BTASK].[TSKNUM_0] AS sydkey, concat(convert(VARCHAR(10), [SEED].[BTASK].[UPDDATTIM_0], :convert_1), replace(convert(VARCHAR(8), [SEED].[BTASK].[UPDDATTIM_0], :convert_2), :replace_1, :replace_2)) AS upd 
FROM [SEED].[BTASK] 
WHERE [SEED].[BTASK].[TSKREP_0] = :rep AND ([SEED].[BTASK].[TSKNUM_0] COLLATE Latin1_General_BIN2) >= :lo AND nullif([SEED].[BTASK].[TSKSTR_0], :param_2) >= :since AND coalesce(LEN(trim([SEED].[BTASK].[TSKCOR_0])), :coalesce_1) = :coalesce_2
