/*
  A storage operator role: decorators, comments of both kinds, a multi-line description,
  comma-separated and line-separated items, and an escaped quote.
*/
metadata owner = 'platform-team'

@description('''
The subscription the role is scoped to.
It is not used below: the scopes are written out.
''')
param subscriptionId string = '00000000-0000-0000-0000-000000000000'

@sys.description('Storage operator')
resource storageOperator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: 'b2f6e4a1-8c3d-4f5e-a6b7-c8d9e0f1a2b3' // a fixed GUID
  properties: {
    roleName: 'Storage Operator'
    description: '''
Operates storage accounts.
Reads blobs; can't delete them.'''
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Storage/storageAccounts/*' /* every storage operation */
          'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.Compute/virtualMachines/start*'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
        ]
        notActions: ['Microsoft.Storage/storageAccounts/delete']
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'
        ]
        notDataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'
        ]
      }
    ]
    assignableScopes: [
      '/'
      '/subscriptions/{subscriptionId}'
    ]
  }
}
